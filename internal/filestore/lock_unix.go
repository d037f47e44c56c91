//go:build unix && !aix && !(solaris && !illumos)

package filestore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
)

// lockSuffix is appended to the token file's path to name the lock file.
const lockSuffix = ".lock"

// lock takes flock(LOCK_EX) on path+".lock", polling with LOCK_NB. Each call
// opens its own file description, and flock locks on distinct open file
// descriptions exclude each other even within one process, so the lock also
// serialises goroutines and Stores of this process.
func (s *Store) lock(ctx context.Context) (func(), error) {
	name := s.path + lockSuffix
	// O_NOFOLLOW: do not create or lock a file elsewhere through a symlink.
	// os.OpenFile sets O_CLOEXEC, so child processes do not inherit the lock.
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		if isSymlinkErr(err) {
			return nil, fmt.Errorf("netsuite: lock file %s is a symbolic link; refusing to follow it", name)
		}
		return nil, fmt.Errorf("netsuite: cannot open lock file for token file %s: %w", s.path, err)
	}
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("netsuite: cannot lock token file %s: %w", s.path, err)
	}
	flock := func(how int) error {
		var ferr error
		if err := rc.Control(func(fd uintptr) {
			for {
				ferr = syscall.Flock(int(fd), how)
				if ferr != syscall.EINTR {
					return
				}
			}
		}); err != nil {
			return err
		}
		return ferr
	}
	poll := minPoll
	for {
		err := flock(syscall.LOCK_EX | syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EAGAIN) {
			f.Close()
			return nil, fmt.Errorf("netsuite: cannot lock token file %s: flock %s: %w", s.path, name, err)
		}
		if err := wait(ctx, &poll); err != nil {
			f.Close()
			return nil, s.lockCtxErr(err)
		}
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			// Closing the only descriptor releases the lock; LOCK_UN first
			// makes the release explicit.
			_ = flock(syscall.LOCK_UN)
			_ = f.Close()
		})
	}, nil
}
