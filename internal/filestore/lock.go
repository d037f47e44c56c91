package filestore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Polling intervals while waiting for a lock held by someone else: the wait
// starts at minPoll and doubles up to maxPoll.
const (
	minPoll = time.Millisecond
	maxPoll = 20 * time.Millisecond
)

// Lock takes an exclusive lock on the token file, shared with every process
// and every Store (in this process or another) using the same path. It waits
// until the lock is free or ctx is done; in the latter case the error wraps
// ctx.Err(), so errors.Is(err, context.Canceled) and
// errors.Is(err, context.DeadlineExceeded) work.
//
// On Unix the lock is flock(LOCK_EX) on path+".lock", created with mode 0600
// and never deleted (deleting a lock file races with processes waiting on
// it). The kernel drops the lock when the process dies. Elsewhere the lock is
// a file path+".lck" created exclusively and deleted on unlock; such a file
// left by a crashed process is considered stale after five minutes.
//
// The lock is not reentrant: calling Lock again before unlocking waits for
// ever (or until ctx is done). The returned unlock releases the lock; calling
// it more than once is harmless.
func (s *Store) Lock(ctx context.Context) (unlock func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, s.lockCtxErr(err)
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return nil, fmt.Errorf("netsuite: cannot create directory for token file %s: %w", s.path, err)
	}
	return s.lock(ctx)
}

func (s *Store) lockCtxErr(err error) error {
	return fmt.Errorf("netsuite: waiting for the lock on token file %s: %w", s.path, err)
}

// wait sleeps for *poll (then doubles it up to maxPoll) or until ctx is done.
func wait(ctx context.Context, poll *time.Duration) error {
	t := time.NewTimer(*poll)
	defer t.Stop()
	*poll = min(*poll*2, maxPoll)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
