//go:build unix

package filestore

import (
	"errors"
	"os"
	"syscall"
)

// openNoFollow opens path for reading, failing (ELOOP, or EMLINK on some
// BSDs) if its final component is a symbolic link.
func openNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
}

// isSymlinkErr reports whether err is what open with O_NOFOLLOW returns for a
// symbolic link.
func isSymlinkErr(err error) bool {
	return errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EMLINK)
}

// syncDir fsyncs the directory so that a rename in it is durable. File
// systems that cannot sync a directory (EINVAL, ENOTSUP) are not an error.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP) {
		err = nil
	}
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
