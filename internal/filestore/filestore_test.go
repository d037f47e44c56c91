package filestore

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Child processes: the test binary re-executed with FILESTORE_CHILD set runs
// TestHelperProcess, which does what the mode says on FILESTORE_PATH.
const (
	envChild = "FILESTORE_CHILD"
	envPath  = "FILESTORE_PATH"
	envRun   = "FILESTORE_RUN"
)

// childCmd returns the test binary re-executed as a helper in mode.
func childCmd(t *testing.T, mode, path string, extraEnv ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), envChild+"="+mode, envPath+"="+path)
	cmd.Env = append(cmd.Env, extraEnv...)
	cmd.Stderr = os.Stderr
	return cmd
}

// TestHelperProcess is not a test: it is the body of the child processes.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(envChild)
	if mode == "" {
		t.Skip("helper process for other tests")
	}
	s := New(os.Getenv(envPath))
	var err error
	switch mode {
	case "crash":
		err = childCrash(s)
	case "counter":
		err = childCounter(s, 50)
	case "hold":
		err = childHold(s)
	default:
		err = fmt.Errorf("unknown mode %q", mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(3)
	}
	os.Exit(0)
}

// payload is self-validating content for the crash test.
type payload struct {
	Run  string `json:"run"`
	Seq  int    `json:"seq"`
	Size int    `json:"size"`
	Pad  string `json:"pad"`
	Sum  string `json:"sum"`
}

var payloadSizes = []int{10, 4000, 70000, 400000}

func makePayload(run string, seq int) []byte {
	size := payloadSizes[seq%len(payloadSizes)]
	pad := strings.Repeat(string(rune('a'+seq%26)), size)
	sum := sha256.Sum256([]byte(run + "/" + strconv.Itoa(seq) + "/" + pad))
	b, err := json.Marshal(payload{Run: run, Seq: seq, Size: size, Pad: pad, Sum: hex.EncodeToString(sum[:])})
	if err != nil {
		panic(err)
	}
	return b
}

func checkPayload(b []byte) (payload, error) {
	var p payload
	if err := json.Unmarshal(b, &p); err != nil {
		return p, fmt.Errorf("not a complete payload (%d bytes): %w", len(b), err)
	}
	sum := sha256.Sum256([]byte(p.Run + "/" + strconv.Itoa(p.Seq) + "/" + p.Pad))
	if len(p.Pad) != p.Size || hex.EncodeToString(sum[:]) != p.Sum {
		return p, fmt.Errorf("payload run %s seq %d fails its checksum", p.Run, p.Seq)
	}
	return p, nil
}

// childCrash saves payloads for ever, until killed.
func childCrash(s *Store) error {
	run := os.Getenv(envRun)
	for seq := 0; ; seq++ {
		if err := s.Save(makePayload(run, seq)); err != nil {
			return err
		}
	}
}

// childCounter increments the counter in the file n times under the lock.
func childCounter(s *Store, n int) error {
	for range n {
		if err := increment(s, s.Lock); err != nil {
			return err
		}
	}
	return nil
}

// childHold takes the lock, says so on stdout, holds it for 200ms, creates
// path+".released" and then unlocks.
func childHold(s *Store) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	unlock, err := s.Lock(ctx)
	if err != nil {
		return err
	}
	fmt.Println("locked")
	time.Sleep(200 * time.Millisecond)
	if err := os.WriteFile(s.Path()+".released", nil, 0o600); err != nil {
		return err
	}
	unlock()
	return nil
}

type lockFunc func(context.Context) (func(), error)

// increment does Lock, Load, +1, Save, unlock.
func increment(s *Store, lock lockFunc) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	unlock, err := lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	data, _, err := s.Load()
	if err != nil {
		return err
	}
	n := 0
	if data != nil {
		if n, err = strconv.Atoi(string(data)); err != nil {
			return err
		}
	}
	return s.Save([]byte(strconv.Itoa(n + 1)))
}

// tempFiles lists leftover temporary files of Save in dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, ".*.tmp*"))
	require.NoError(t, err)
	return m
}

func TestNewPath(t *testing.T) {
	assert.Equal(t, "/x/tok.json", New("/x/tok.json").Path())
}

func TestSaveLoadRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"json", []byte(`{"access_token":"a","refresh_token":"r"}`)},
		{"empty", []byte{}},
		{"binary", []byte{0, 1, 2, 0xff}},
		{"max size", bytes.Repeat([]byte("x"), MaxSize)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := New(filepath.Join(dir, "a", "b", "tok.json"))
			require.NoError(t, s.Save(tc.data))
			got, warning, err := s.Load()
			require.NoError(t, err)
			assert.Empty(t, warning)
			assert.Equal(t, tc.data, got)
			assert.NotNil(t, got, "an existing empty file is not a missing file")

			// Overwrite with something else.
			require.NoError(t, s.Save([]byte("second")))
			got, _, err = s.Load()
			require.NoError(t, err)
			assert.Equal(t, "second", string(got))
			assert.Empty(t, tempFiles(t, filepath.Dir(s.Path())))
		})
	}
}

func TestLoadMissing(t *testing.T) {
	for _, path := range []string{"tok.json", "no/such/dir/tok.json"} {
		t.Run(path, func(t *testing.T) {
			data, warning, err := New(filepath.Join(t.TempDir(), path)).Load()
			assert.NoError(t, err)
			assert.Nil(t, data)
			assert.Empty(t, warning)
		})
	}
}

func TestSizeLimit(t *testing.T) {
	dir := t.TempDir()
	s := New(filepath.Join(dir, "tok.json"))

	err := s.Save(make([]byte, MaxSize+1))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "netsuite: ")
	assert.Contains(t, err.Error(), s.Path())
	_, statErr := os.Stat(s.Path())
	assert.ErrorIs(t, statErr, os.ErrNotExist, "nothing written")

	require.NoError(t, os.WriteFile(s.Path(), make([]byte, MaxSize+1), 0o600))
	data, _, err := s.Load()
	require.Error(t, err)
	assert.Nil(t, data)
	assert.Contains(t, err.Error(), "limit")
	assert.Contains(t, err.Error(), s.Path())
}

func TestLoadNotRegular(t *testing.T) {
	dir := t.TempDir()
	s := New(filepath.Join(dir, "tok.json"))
	require.NoError(t, os.Mkdir(s.Path(), 0o700))
	_, _, err := s.Load()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is a directory")
	assert.Contains(t, err.Error(), s.Path())
}

func TestSaveFailureKeepsOldFile(t *testing.T) {
	t.Run("path is a directory", func(t *testing.T) {
		dir := t.TempDir()
		s := New(filepath.Join(dir, "tok.json"))
		require.NoError(t, os.Mkdir(s.Path(), 0o700))
		require.NoError(t, os.WriteFile(filepath.Join(s.Path(), "keep"), []byte("old"), 0o600))

		err := s.Save([]byte("new"))
		require.Error(t, err)
		assert.True(t, strings.HasPrefix(err.Error(), "netsuite: "), err.Error())
		assert.Contains(t, err.Error(), s.Path())
		b, err := os.ReadFile(filepath.Join(s.Path(), "keep"))
		require.NoError(t, err)
		assert.Equal(t, "old", string(b))
		assert.Empty(t, tempFiles(t, dir))
	})

	t.Run("rename fails", func(t *testing.T) {
		dir := t.TempDir()
		s := New(filepath.Join(dir, "tok.json"))
		require.NoError(t, s.Save([]byte("old")))

		injected := errors.New("injected rename failure")
		rename = func(string, string) error { return injected }
		t.Cleanup(func() { rename = os.Rename })

		err := s.Save([]byte("new"))
		require.ErrorIs(t, err, injected)
		assert.Contains(t, err.Error(), "netsuite: ")
		assert.Contains(t, err.Error(), s.Path())

		got, _, err := s.Load()
		require.NoError(t, err)
		assert.Equal(t, "old", string(got))
		assert.Empty(t, tempFiles(t, dir))
	})
}

func TestRemove(t *testing.T) {
	dir := t.TempDir()
	s := New(filepath.Join(dir, "tok.json"))
	assert.NoError(t, s.Remove(), "missing file")

	require.NoError(t, s.Save([]byte("x")))
	unlock, err := s.Lock(context.Background())
	require.NoError(t, err)
	require.NoError(t, s.Remove())
	unlock()
	data, _, err := s.Load()
	require.NoError(t, err)
	assert.Nil(t, data)
	assert.NoError(t, s.Remove(), "already removed")
	_, err = os.Lstat(s.Path() + lockSuffix)
	assert.NoError(t, err, "the lock file is not removed")
}

// lockImpls are the platform lock (Store.Lock) and the portable lock-file
// fallback, which is compiled and tested on every platform.
func lockImpls() []struct {
	name string
	lock func(*Store) lockFunc
} {
	return []struct {
		name string
		lock func(*Store) lockFunc
	}{
		{"Lock", func(s *Store) lockFunc { return s.Lock }},
		{"lockfile", func(s *Store) lockFunc { return s.lockExclusiveFile }},
	}
}

func TestLockExcludesStoresInProcess(t *testing.T) {
	for _, impl := range lockImpls() {
		t.Run(impl.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tok.json")
			s1, s2 := New(path), New(path)

			unlock1, err := impl.lock(s1)(context.Background())
			require.NoError(t, err)

			acquired := make(chan func())
			go func() {
				unlock2, err := impl.lock(s2)(context.Background())
				assert.NoError(t, err)
				acquired <- unlock2
			}()
			select {
			case <-acquired:
				t.Fatal("second Store got the lock while the first held it")
			case <-time.After(150 * time.Millisecond):
			}
			unlock1()
			select {
			case unlock2 := <-acquired:
				unlock2()
			case <-time.After(5 * time.Second):
				t.Fatal("second Store did not get the lock after the first released it")
			}

			// The same Store twice is exclusive as well.
			unlock1, err = impl.lock(s1)(context.Background())
			require.NoError(t, err)
			defer unlock1()
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			_, err = impl.lock(s1)(ctx)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
		})
	}
}

func TestLockCounterGoroutines(t *testing.T) {
	for _, impl := range lockImpls() {
		t.Run(impl.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tok.json")
			const workers, rounds = 6, 15
			var wg sync.WaitGroup
			for range workers {
				s := New(path) // a Store per goroutine
				wg.Go(func() {
					for range rounds {
						if err := increment(s, impl.lock(s)); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			data, _, err := New(path).Load()
			require.NoError(t, err)
			assert.Equal(t, strconv.Itoa(workers*rounds), string(data))
		})
	}
}

func TestLockContext(t *testing.T) {
	for _, impl := range lockImpls() {
		t.Run(impl.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tok.json")
			s := New(path)

			t.Run("already cancelled", func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				unlock, err := impl.lock(New(filepath.Join(t.TempDir(), "tok.json")))(ctx)
				if impl.name == "Lock" {
					// Store.Lock checks ctx before trying, even when the lock is free.
					require.ErrorIs(t, err, context.Canceled)
					assert.Nil(t, unlock)
					assert.Contains(t, err.Error(), "netsuite: ")
				} else if err == nil {
					unlock()
				}
			})

			held, err := impl.lock(s)(context.Background())
			require.NoError(t, err)
			defer held()

			t.Run("cancelled while waiting", func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(50*time.Millisecond, cancel)
				start := time.Now()
				unlock, err := impl.lock(New(path))(ctx)
				require.ErrorIs(t, err, context.Canceled)
				assert.Nil(t, unlock)
				assert.Less(t, time.Since(start), 2*time.Second)
				assert.Contains(t, err.Error(), path)
			})
			t.Run("deadline while waiting", func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
				defer cancel()
				_, err := impl.lock(New(path))(ctx)
				require.ErrorIs(t, err, context.DeadlineExceeded)
			})
		})
	}
}

func TestUnlockIdempotent(t *testing.T) {
	for _, impl := range lockImpls() {
		t.Run(impl.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tok.json")
			unlock1, err := impl.lock(New(path))(context.Background())
			require.NoError(t, err)
			unlock1()
			unlock1()

			unlock2, err := impl.lock(New(path))(context.Background())
			require.NoError(t, err)
			defer unlock2()
			unlock1() // a stale unlock must not release someone else's lock

			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			_, err = impl.lock(New(path))(ctx)
			assert.ErrorIs(t, err, context.DeadlineExceeded, "lock still held by unlock2")
		})
	}
}

func TestLockFileFallback(t *testing.T) {
	t.Run("content and removal", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "tok.json")
		unlock, err := New(path).lockExclusiveFile(context.Background())
		require.NoError(t, err)
		b, err := os.ReadFile(path + ".lck")
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(string(b), strconv.Itoa(os.Getpid())+" "), string(b))
		unlock()
		_, err = os.Stat(path + ".lck")
		assert.ErrorIs(t, err, os.ErrNotExist)
	})

	t.Run("stale lock is taken over", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "tok.json")
		require.NoError(t, os.WriteFile(path+".lck", []byte("99999 crashed\n"), 0o600))
		old := time.Now().Add(-staleAfter - time.Minute)
		require.NoError(t, os.Chtimes(path+".lck", old, old))

		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		unlock, err := New(path).lockExclusiveFile(ctx)
		require.NoError(t, err)
		unlock()
	})

	t.Run("fresh foreign lock is respected", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "tok.json")
		require.NoError(t, os.WriteFile(path+".lck", []byte("99999 other\n"), 0o600))
		ctx, cancel := context.WithTimeout(context.Background(), 80*time.Millisecond)
		defer cancel()
		_, err := New(path).lockExclusiveFile(ctx)
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})

	t.Run("unlock leaves a lock taken over by someone else", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "tok.json")
		unlock, err := New(path).lockExclusiveFile(context.Background())
		require.NoError(t, err)
		// Someone judged it stale and took it over.
		require.NoError(t, os.WriteFile(path+".lck", []byte("99999 other\n"), 0o600))
		unlock()
		b, err := os.ReadFile(path + ".lck")
		require.NoError(t, err)
		assert.Equal(t, "99999 other\n", string(b))
	})
}

func TestLockCrossProcessCounter(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	path := filepath.Join(t.TempDir(), "tok.json")
	const children = 4
	cmds := make([]*exec.Cmd, children)
	for i := range cmds {
		cmds[i] = childCmd(t, "counter", path)
		require.NoError(t, cmds[i].Start())
	}
	for _, cmd := range cmds {
		require.NoError(t, cmd.Wait())
	}
	data, _, err := New(path).Load()
	require.NoError(t, err)
	assert.Equal(t, strconv.Itoa(children*50), string(data))
}

func TestLockCrossProcessWaits(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	path := filepath.Join(t.TempDir(), "tok.json")
	cmd := childCmd(t, "hold", path)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "locked\n", line)

	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	unlock, err := New(path).Lock(ctx)
	require.NoError(t, err)
	waited := time.Since(start)
	_, statErr := os.Stat(path + ".released")
	unlock()

	assert.NoError(t, statErr, "parent got the lock before the child released it")
	assert.GreaterOrEqual(t, waited, 100*time.Millisecond)
	require.NoError(t, cmd.Wait())
}

func TestCrashDuringSave(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "tok.json")
	s := New(path)

	const maxIter = 50
	budget := time.Now().Add(3 * time.Second)
	iterations, killedAfterSave := 0, 0
	for i := 0; i < maxIter && (i < 10 || time.Now().Before(budget)); i++ {
		run := strconv.Itoa(i)
		cmd := childCmd(t, "crash", path, envRun+"="+run)
		require.NoError(t, cmd.Start())
		if i == 0 { // wait for the first complete save
			deadline := time.Now().Add(20 * time.Second)
			for {
				if _, err := os.Stat(path); err == nil {
					break
				}
				require.True(t, time.Now().Before(deadline), "child never saved")
				time.Sleep(time.Millisecond)
			}
		}
		time.Sleep(time.Duration(rand.IntN(40_000)) * time.Microsecond)
		require.NoError(t, cmd.Process.Kill())
		_ = cmd.Wait()
		iterations++

		data, _, err := s.Load()
		require.NoError(t, err, "iteration %d", i)
		require.NotEmpty(t, data, "iteration %d: file empty or missing after a crash", i)
		p, err := checkPayload(data)
		require.NoError(t, err, "iteration %d", i)
		if p.Run == run {
			killedAfterSave++
		}
	}
	t.Logf("%d kills, %d of them after the child had completed at least one save; %d temp files left by crashes",
		iterations, killedAfterSave, len(tempFiles(t, dir)))
	assert.Positive(t, killedAfterSave, "no child was killed while saving: the test tested nothing")
}
