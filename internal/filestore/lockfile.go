package filestore

// The portable lock used where flock is not available (lock_other.go). It is
// compiled everywhere so that it is tested on every platform.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// lckSuffix names the fallback lock file. staleAfter is the age
// (modification time) after which such a file is assumed to belong to a
// crashed process and is removed; a live holder touches its lock file every
// heartbeat so that a long hold is not mistaken for a crash.
const (
	lckSuffix  = ".lck"
	staleAfter = 5 * time.Minute
	heartbeat  = time.Minute
)

// lockSeq numbers the fallback locks taken by this process.
var lockSeq atomic.Uint64

// lockExclusiveFile creates path+".lck" with O_CREATE|O_EXCL, retrying until
// it succeeds or ctx is done. The file holds the pid and time of the holder;
// exclusive creation also excludes goroutines and Stores of this process.
func (s *Store) lockExclusiveFile(ctx context.Context) (func(), error) {
	name := s.path + lckSuffix
	// pid, time and a sequence number: unique even between Stores of one
	// process on a coarse clock, so unlock can tell whether the file is ours.
	token := fmt.Appendf(nil, "%d %s %d\n", os.Getpid(), time.Now().UTC().Format(time.RFC3339Nano), lockSeq.Add(1))
	poll := minPoll
	for {
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_, werr := f.Write(token)
			if cerr := f.Close(); werr == nil {
				werr = cerr
			}
			if werr != nil {
				os.Remove(name)
				return nil, fmt.Errorf("netsuite: cannot write lock file %s: %w", name, werr)
			}
			return s.holding(name, token), nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("netsuite: cannot create lock file for token file %s: %w", s.path, err)
		}
		removeIfStale(name)
		if err := wait(ctx, &poll); err != nil {
			return nil, s.lockCtxErr(err)
		}
	}
}

// holding keeps the lock file fresh while it is held and returns unlock.
func (s *Store) holding(name string, token []byte) func() {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(heartbeat)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				_ = os.Chtimes(name, now, now)
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			// Remove the file only if it is still ours: it may have been
			// taken over after being judged stale.
			if b, err := os.ReadFile(name); err == nil && bytes.Equal(b, token) {
				_ = os.Remove(name)
			}
		})
	}
}

// removeIfStale removes the lock file if it has not been touched for
// staleAfter. There is a small window in which two waiters both judge the
// file stale and the second removes the lock the first has just created; a
// stale lock only exists after a crash, so this is accepted in this fallback.
func removeIfStale(name string) {
	if fi, err := os.Stat(name); err == nil && time.Since(fi.ModTime()) >= staleAfter {
		_ = os.Remove(name)
	}
}
