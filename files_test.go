//go:build unix

package netsuite_test

// Files (issue 7, item 4). Promises and the tests that prove them:
//
//  1. Token files are mode 0600 and the directories created for them 0700
//     — written by FileStore.Save, by Connection.Exchange and by a refresh
//     — and a token file found with a wider mode is 0600 again after the
//     next write: TestTokenFileModes. (Every umask: TestSaveModes in
//     internal/filestore. Generated keys: cmd/nsauth/files_test.go and
//     TestKeygenThenM2MTest.)
//  2. An existing token file that other users can read produces a warning
//     through FileStore.Load, logged to slog.Default — also when a
//     Connection loads it — naming the file and its mode, and never a token:
//     TestTokenFileReadableByOthersWarns. (Group-writable directories and
//     the other modes: TestLoadWarnings in internal/filestore.)
//  3. A symlinked token path is never followed into writing elsewhere:
//     FileStore.Load and Save refuse it; a Connection whose token file is
//     replaced by a symlink after login refuses to refresh through it; a
//     dangling symlink is not created through by Exchange; a symlinked lock
//     file is refused. The link's target keeps its content and mode, and no
//     temporary file is left behind: TestSymlinkedTokenPathNotFollowed.
//     (TestSymlinkRefused and TestFlockSymlinkRefused in internal/filestore
//     cover the store and the lock file directly.)
//  4. A crash between write and rename never leaves a truncated store:
//     TestCrashDuringSave in internal/filestore kills a child process
//     mid-save, again and again, and checks after each kill that the file
//     holds one complete payload, old or new.

import (
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/suitekit/netsuite"
	"github.com/suitekit/netsuite/netsuitetest"
)

func permOf(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	return fi.Mode().Perm()
}

// captureDefaultLog makes slog.Default write to a buffer for the test.
func captureDefaultLog(t *testing.T) *logCapture {
	t.Helper()
	logs := &logCapture{}
	old := slog.Default()
	slog.SetDefault(slog.New(slogHandlers["text"](logs)))
	t.Cleanup(func() { slog.SetDefault(old) })
	return logs
}

// authCodeConnection returns a logged-in authorization-code Connection
// to srv whose tokens are kept in a FileStore at path.
func authCodeConnection(t *testing.T, srv *netsuitetest.Server, path string) *netsuite.Connection {
	t.Helper()
	cfg := srv.Config()
	ac := srv.AuthorizationCode()
	ac.Store = netsuite.NewFileStore(path)
	cfg.Auth = ac
	conn := login(t, srv, cfg)
	t.Cleanup(func() { conn.Close() })
	return conn
}

// forceRefresh makes NetSuite drop the current access token, so that the
// next request refreshes, and sends that request.
func forceRefresh(t *testing.T, srv *netsuitetest.Server, conn *netsuite.Connection) error {
	t.Helper()
	tok, err := conn.TokenSource().Token()
	require.NoError(t, err)
	srv.RevokeAccessToken(tok.AccessToken)
	return conn.TestConnection(bg)
}

func TestTokenFileModes(t *testing.T) {
	root := t.TempDir()
	t.Run("FileStore.Save", func(t *testing.T) {
		path := filepath.Join(root, "save", "a", "b", "tokens.json")
		require.NoError(t, netsuite.NewFileStore(path).Save(bg, sentinelToken()))
		assert.Equal(t, fs.FileMode(0o600), permOf(t, path))
		for _, dir := range []string{"save", "save/a", "save/a/b"} {
			assert.Equal(t, fs.FileMode(0o700), permOf(t, filepath.Join(root, dir)), dir)
		}
	})
	t.Run("Exchange and refresh", func(t *testing.T) {
		srv := netsuitetest.NewServer()
		defer srv.Close()
		path := filepath.Join(root, "conn", "nsauth", "tokens.json")
		conn := authCodeConnection(t, srv, path)
		assert.Equal(t, fs.FileMode(0o600), permOf(t, path), "after the exchange")
		assert.Equal(t, fs.FileMode(0o700), permOf(t, filepath.Dir(path)))
		assert.Equal(t, fs.FileMode(0o700), permOf(t, filepath.Dir(filepath.Dir(path))))

		require.NoError(t, os.Chmod(path, 0o644)) // someone widened it
		before, err := os.ReadFile(path)
		require.NoError(t, err)
		require.NoError(t, forceRefresh(t, srv, conn))
		after, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.NotEqual(t, string(before), string(after), "the refresh wrote the file")
		assert.Equal(t, fs.FileMode(0o600), permOf(t, path), "after the refresh")
		lock := path + ".lock"
		if _, err := os.Lstat(lock); err == nil {
			assert.Zero(t, permOf(t, lock)&0o077, "the lock file is not open to others")
		}
	})
}

func TestTokenFileReadableByOthersWarns(t *testing.T) {
	logs := captureDefaultLog(t)
	dir := filepath.Join(t.TempDir(), "d")
	require.NoError(t, os.Mkdir(dir, 0o700))
	path := filepath.Join(dir, "tokens.json")
	store := netsuite.NewFileStore(path)
	require.NoError(t, store.Save(bg, sentinelToken()))

	tok, err := store.Load(bg)
	require.NoError(t, err)
	require.NotNil(t, tok)
	assert.Empty(t, logs.String(), "a 0600 file gives no warning")

	require.NoError(t, os.Chmod(path, 0o644))
	tok, err = store.Load(bg)
	require.NoError(t, err, "a warning, not an error")
	assert.Equal(t, sentinelToken().AccessToken, tok.AccessToken)
	out := logs.String()
	assert.Contains(t, out, "level=WARN")
	assert.Contains(t, out, path)
	assert.Contains(t, out, "0644")
	assert.Contains(t, out, "readable by other users")
	assert.Contains(t, out, "chmod 600")
	sentinels().check(t, "the warning", out)

	t.Run("through a Connection", func(t *testing.T) {
		srv := netsuitetest.NewServer()
		defer srv.Close()
		path := filepath.Join(t.TempDir(), "tokens.json")
		logs := captureDefaultLog(t) // the Connection's logger defaults to slog.Default
		conn := authCodeConnection(t, srv, path)
		require.NoError(t, os.Chmod(path, 0o640))
		require.NoError(t, forceRefresh(t, srv, conn), "the refresh loads the store first")
		assert.Contains(t, logs.String(), path)
		assert.Contains(t, logs.String(), "0640")
		s := sentinels()
		harvest(s, srv)
		s.check(t, "the warning", logs.String())
	})
}

func TestSymlinkedTokenPathNotFollowed(t *testing.T) {
	// target is a file the link points at: it must keep its content and mode.
	newTarget := func(t *testing.T) (dir, target string) {
		dir = t.TempDir()
		target = filepath.Join(t.TempDir(), "elsewhere.json")
		require.NoError(t, os.WriteFile(target, []byte("original"), 0o644))
		require.NoError(t, os.Chmod(target, 0o644))
		return dir, target
	}
	assertUntouched := func(t *testing.T, dir, link, target string) {
		t.Helper()
		b, err := os.ReadFile(target)
		require.NoError(t, err)
		assert.Equal(t, "original", string(b), "the target is not written")
		assert.Equal(t, fs.FileMode(0o644), permOf(t, target), "nor chmodded")
		fi, err := os.Lstat(link)
		require.NoError(t, err)
		assert.NotZero(t, fi.Mode()&fs.ModeSymlink, "the link is left alone")
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		for _, e := range entries {
			assert.False(t, strings.Contains(e.Name(), ".tmp"), "temporary file left: %s", e.Name())
		}
	}

	t.Run("FileStore", func(t *testing.T) {
		dir, target := newTarget(t)
		link := filepath.Join(dir, "tokens.json")
		require.NoError(t, os.Symlink(target, link))
		store := netsuite.NewFileStore(link)
		_, err := store.Load(bg)
		assert.ErrorContains(t, err, "symbolic link")
		assert.ErrorContains(t, store.Save(bg, sentinelToken()), "symbolic link")
		assertUntouched(t, dir, link, target)
	})

	t.Run("Connection refresh after the file became a link", func(t *testing.T) {
		srv := netsuitetest.NewServer()
		defer srv.Close()
		dir, target := newTarget(t)
		link := filepath.Join(dir, "tokens.json")
		conn := authCodeConnection(t, srv, link)
		require.NoError(t, os.Remove(link))
		require.NoError(t, os.Symlink(target, link))
		err := forceRefresh(t, srv, conn)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "symbolic link")
		assertUntouched(t, dir, link, target)
		for _, r := range srv.Requests() {
			assert.NotEqual(t, "refresh_token", r.Grant, "no refresh is spent when the store cannot be read")
		}
	})

	t.Run("Exchange into a dangling link", func(t *testing.T) {
		srv := netsuitetest.NewServer()
		defer srv.Close()
		dir := t.TempDir()
		target := filepath.Join(t.TempDir(), "not-there.json")
		link := filepath.Join(dir, "tokens.json")
		require.NoError(t, os.Symlink(target, link))
		cfg := srv.Config()
		ac := srv.AuthorizationCode()
		ac.Store = netsuite.NewFileStore(link)
		cfg.Auth = ac
		conn := mustConnect(t, cfg)
		req, err := conn.AuthCodeURL("")
		require.NoError(t, err)
		cb, err := netsuite.ParseCallback(authorize(t, http.DefaultClient, req.URL), req.State)
		require.NoError(t, err)
		_, err = conn.Exchange(bg, cb.Code, req.Verifier)
		require.Error(t, err, "the Save error is returned")
		assert.Contains(t, err.Error(), "symbolic link")
		_, err = os.Lstat(target)
		assert.ErrorIs(t, err, fs.ErrNotExist, "nothing is created through the link")
	})

	t.Run("lock file", func(t *testing.T) {
		srv := netsuitetest.NewServer()
		defer srv.Close()
		dir, target := newTarget(t)
		path := filepath.Join(dir, "tokens.json")
		conn := authCodeConnection(t, srv, path)
		lock := path + ".lock"
		os.Remove(lock)
		require.NoError(t, os.Symlink(target, lock))
		err := forceRefresh(t, srv, conn)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "symbolic link")
		assertUntouched(t, dir, lock, target)
	})
}
