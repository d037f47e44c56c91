//go:build unix && !aix && !(solaris && !illumos)

package filestore

import (
	"bufio"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFlockLockFile(t *testing.T) {
	withUmask(t, 0)
	dir := filepath.Join(t.TempDir(), "new")
	s := New(filepath.Join(dir, "tok.json"))
	unlock, err := s.Lock(context.Background())
	require.NoError(t, err)
	unlock()
	assert.Equal(t, fs.FileMode(0o700), perm(t, dir), "Lock creates the directory")
	assert.Equal(t, fs.FileMode(0o600), perm(t, s.Path()+".lock"))
	_, err = os.Stat(s.Path() + ".lock")
	assert.NoError(t, err, "the lock file is never deleted")
}

func TestFlockSymlinkRefused(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "elsewhere")
	path := filepath.Join(dir, "tok.json")
	require.NoError(t, os.Symlink(target, path+".lock"))
	_, err := New(path).Lock(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "symbolic link")
	_, err = os.Lstat(target)
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// TestFlockReleasedOnCrash: the kernel drops a flock when its holder dies,
// so a crashed process never blocks the others.
func TestFlockReleasedOnCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	path := filepath.Join(t.TempDir(), "tok.json")
	cmd := childCmd(t, "hold", path)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "locked\n", line)
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	unlock, err := New(path).Lock(ctx)
	require.NoError(t, err)
	unlock()
	_, err = os.Stat(path + ".released")
	assert.ErrorIs(t, err, os.ErrNotExist, "the child was killed before releasing")
}
