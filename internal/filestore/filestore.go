// Package filestore keeps the OAuth 2.0 tokens of a NetSuite connection (the
// access token and the rotating refresh token) in one file that several
// processes may share.
//
// NetSuite rotates refresh tokens: each refresh returns a new one and revokes
// the old one at once, so two processes must never both spend the same
// refresh token. Callers therefore use the file under an inter-process lock:
//
//	unlock, err := s.Lock(ctx)
//	if err != nil { ... }
//	defer unlock()
//	data, warning, err := s.Load()
//	... refresh if needed ...
//	err = s.Save(newData)
//
// [Store.Save] replaces the file atomically (temporary file, fsync, rename,
// directory fsync), so a crash never leaves a truncated or empty file behind.
// The package stores opaque bytes; encoding the token is the caller's job.
package filestore

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// MaxSize is the largest content [Store.Load] reads and [Store.Save] writes
// (1 MiB); a token file is a few kilobytes at most.
const MaxSize = 1 << 20

// Store is one token file. Its methods may be called from several goroutines;
// use [Store.Lock] to serialise read-modify-write sequences.
type Store struct {
	path string
}

// New returns a Store for the file at path. Nothing is read or created until
// a method is called. Directories in path may be symbolic links; the final
// component may not (see [Store.Load]).
func New(path string) *Store {
	return &Store{path: path}
}

// Path returns the path of the token file, as given to [New].
func (s *Store) Path() string {
	return s.path
}

// Load returns the file's content, or (nil, "", nil) when the file does not
// exist.
//
// When the file or its directory can be read or written by group or other
// users, warning describes it (for example "netsuite: token file /x/tok.json
// has mode 0644: readable by other users; chmod 600 it"); that is a warning,
// not an error, and data is still returned. No warning is given on Windows,
// whose permissions are ACLs rather than mode bits.
//
// Load refuses a path whose final component is a symbolic link (a symlink
// could redirect tokens into another file) or is not a regular file, and a
// file larger than [MaxSize].
func (s *Store) Load() (data []byte, warning string, err error) {
	fi, err := os.Lstat(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", s.wrap("cannot read", err)
	}
	if err := s.checkKind(fi); err != nil {
		return nil, "", err
	}
	f, err := openNoFollow(s.path)
	if errors.Is(err, fs.ErrNotExist) { // removed since the Lstat
		return nil, "", nil
	}
	if err != nil {
		if isSymlinkErr(err) {
			return nil, "", s.symlinkError()
		}
		return nil, "", s.wrap("cannot read", err)
	}
	defer f.Close()
	// Check the file actually opened: it may have been replaced since the Lstat.
	if fi, err = f.Stat(); err != nil {
		return nil, "", s.wrap("cannot read", err)
	}
	if err := s.checkKind(fi); err != nil {
		return nil, "", err
	}
	if fi.Size() > MaxSize {
		return nil, "", s.tooLarge(fi.Size())
	}
	data, err = io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, "", s.wrap("cannot read", err)
	}
	if len(data) > MaxSize {
		return nil, "", s.tooLarge(int64(len(data)))
	}
	return data, s.permWarning(fi), nil
}

// Save replaces the file's content with data, atomically: data is written to
// a temporary file in the same directory (mode 0600 whatever the umask),
// synced, and renamed over the path, and then the directory is synced.
// Readers see either the old or the new content, never a mix, and a crash at
// any point leaves the old or the new file, never a truncated or empty one.
//
// Missing directories are created with mode 0700; existing directories are
// left as they are. The file ends up with mode 0600 even if it existed with a
// wider mode.
//
// On error the temporary file is removed and the old file is left intact,
// except when the final directory sync fails: the new content is then already
// in place but may not survive a power loss. Save refuses a path whose final
// component is a symbolic link or not a regular file, and data larger than
// [MaxSize].
func (s *Store) Save(data []byte) (err error) {
	if len(data) > MaxSize {
		return fmt.Errorf("netsuite: token data for %s is %d bytes, over the %d-byte limit", s.path, len(data), MaxSize)
	}
	dir := filepath.Dir(s.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("netsuite: cannot create directory for token file %s: %w", s.path, err)
	}
	fi, err := os.Lstat(s.path)
	switch {
	case err == nil:
		if err := s.checkKind(fi); err != nil {
			return err
		}
	case !errors.Is(err, fs.ErrNotExist):
		return s.wrap("cannot write", err)
	}

	f, err := os.CreateTemp(dir, "."+filepath.Base(s.path)+".tmp*")
	if err != nil {
		return s.wrap("cannot write", err)
	}
	tmp := f.Name()
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				f.Close()
			}
			os.Remove(tmp)
		}
	}()
	// CreateTemp asks for 0600 but the umask applies; set the mode explicitly.
	if err := f.Chmod(0o600); err != nil {
		return s.wrap("cannot write", err)
	}
	if _, err := f.Write(data); err != nil {
		return s.wrap("cannot write", err)
	}
	if err := f.Sync(); err != nil {
		return s.wrap("cannot write", err)
	}
	closed = true
	if err := f.Close(); err != nil {
		return s.wrap("cannot write", err)
	}
	// rename replaces a symlink created since the Lstat rather than following
	// it, so the target of such a link is never written.
	if err := rename(tmp, s.path); err != nil {
		return s.wrap("cannot write", err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("netsuite: token file %s written, but syncing its directory failed: %w", s.path, err)
	}
	return nil
}

// rename is os.Rename; tests replace it to make the rename fail.
var rename = os.Rename

// Remove deletes the file, for example after the tokens are revoked. A
// missing file is not an error. The lock file is left in place (see
// [Store.Lock]).
func (s *Store) Remove() error {
	err := os.Remove(s.path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return s.wrap("cannot remove", err)
	}
	return nil
}

// checkKind refuses symlinks and anything else that is not a regular file.
func (s *Store) checkKind(fi fs.FileInfo) error {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return s.symlinkError()
	case fi.IsDir():
		return fmt.Errorf("netsuite: token file %s is a directory", s.path)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("netsuite: token file %s is not a regular file (mode %s)", s.path, fi.Mode())
	}
	return nil
}

func (s *Store) symlinkError() error {
	return fmt.Errorf("netsuite: token file %s is a symbolic link; refusing to follow it, because a symlink could redirect tokens into another file (point the store at the link's target instead)", s.path)
}

func (s *Store) tooLarge(n int64) error {
	return fmt.Errorf("netsuite: token file %s is %d bytes, over the %d-byte limit", s.path, n, MaxSize)
}

// wrap prefixes err with the package prefix and the path, without repeating
// the path when err is an *fs.PathError for it.
func (s *Store) wrap(what string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == s.path {
		return fmt.Errorf("netsuite: %s token file %s: %s: %w", what, s.path, pe.Op, pe.Err)
	}
	return fmt.Errorf("netsuite: %s token file %s: %w", what, s.path, err)
}

// permWarning describes group/other access to the file (fi) or its directory.
func (s *Store) permWarning(fi fs.FileInfo) string {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		return ""
	}
	if w := accessWarning("token file "+s.path, fi.Mode().Perm(), "chmod 600 it"); w != "" {
		return w
	}
	dir := filepath.Dir(s.path)
	di, err := os.Stat(dir) // directories may be symlinks: follow them
	if err != nil {
		return ""
	}
	// A directory others can list is harmless while the file is 0600; one
	// they can write to lets them replace the file.
	// (A sticky directory such as /tmp keeps others from replacing it.)
	if perm := di.Mode().Perm(); perm&0o022 != 0 && di.Mode()&fs.ModeSticky == 0 {
		return accessWarning("directory "+dir+" of token file "+s.path, perm, "chmod 700 it")
	}
	return ""
}

func accessWarning(what string, perm fs.FileMode, fix string) string {
	var how string
	switch {
	case perm&0o022 != 0:
		how = "writable by other users"
	case perm&0o044 != 0:
		how = "readable by other users"
	case perm&0o011 != 0:
		how = "accessible by other users"
	default:
		return ""
	}
	return fmt.Sprintf("netsuite: %s has mode %04o: %s; %s", what, perm, how, fix)
}
