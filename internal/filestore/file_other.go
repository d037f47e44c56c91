//go:build !unix

package filestore

import "os"

// openNoFollow opens path for reading. Without O_NOFOLLOW the caller's Lstat
// and the Stat of the opened file are the only symlink checks.
func openNoFollow(path string) (*os.File, error) {
	return os.Open(path)
}

// isSymlinkErr reports whether err means the path was a symbolic link; open
// does not report that on this platform.
func isSymlinkErr(error) bool { return false }

// syncDir is a no-op: directories cannot be opened and synced portably here
// (on Windows, MoveFileEx's replace is the durability point).
func syncDir(string) error { return nil }
