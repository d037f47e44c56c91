//go:build unix

package filestore

import (
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withUmask sets the process umask for the duration of the test. The umask
// is process-wide, so tests using it must not run in parallel.
func withUmask(t *testing.T, mask int) {
	old := syscall.Umask(mask)
	t.Cleanup(func() { syscall.Umask(old) })
}

func perm(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return fi.Mode().Perm()
}

func TestSaveModes(t *testing.T) {
	for _, mask := range []int{0, 0o022, 0o077, 0o277} {
		t.Run(fmt.Sprintf("umask %03o", mask), func(t *testing.T) {
			withUmask(t, mask)
			root := t.TempDir()
			s := New(filepath.Join(root, "a", "b", "tok.json"))
			require.NoError(t, s.Save([]byte("x")))
			assert.Equal(t, fs.FileMode(0o600), perm(t, s.Path()))
			if mask&0o700 == 0 { // the umask applies to MkdirAll's 0700
				assert.Equal(t, fs.FileMode(0o700), perm(t, filepath.Join(root, "a")))
				assert.Equal(t, fs.FileMode(0o700), perm(t, filepath.Join(root, "a", "b")))
			}
			_, warning, err := s.Load()
			require.NoError(t, err)
			if mask&0o700 == 0 {
				assert.Empty(t, warning)
			}
		})
	}

	t.Run("existing 0644 file becomes 0600", func(t *testing.T) {
		withUmask(t, 0)
		dir := t.TempDir()
		s := New(filepath.Join(dir, "tok.json"))
		require.NoError(t, os.WriteFile(s.Path(), []byte("old"), 0o644))
		require.NoError(t, os.Chmod(s.Path(), 0o644))
		require.NoError(t, s.Save([]byte("new")))
		assert.Equal(t, fs.FileMode(0o600), perm(t, s.Path()))
	})

	t.Run("existing directory is not chmodded", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "shared")
		require.NoError(t, os.Mkdir(dir, 0o700))
		require.NoError(t, os.Chmod(dir, 0o755))
		require.NoError(t, New(filepath.Join(dir, "tok.json")).Save([]byte("x")))
		assert.Equal(t, fs.FileMode(0o755), perm(t, dir))
	})
}

func TestLoadWarnings(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fileMode  fs.FileMode
		dirMode   fs.FileMode
		want      []string // substrings; none means no warning
		wantEmpty bool
	}{
		{name: "0600 in 0700", fileMode: 0o600, dirMode: 0o700, wantEmpty: true},
		{name: "0400 in 0700", fileMode: 0o400, dirMode: 0o700, wantEmpty: true},
		{name: "0644 file", fileMode: 0o644, dirMode: 0o700, want: []string{"netsuite: token file ", "has mode 0644", "readable by other users", "chmod 600"}},
		{name: "0640 file", fileMode: 0o640, dirMode: 0o700, want: []string{"has mode 0640", "readable"}},
		{name: "0666 file", fileMode: 0o666, dirMode: 0o700, want: []string{"has mode 0666", "writable by other users"}},
		// Listing a directory reveals no token while the file is 0600;
		// writing to it lets others replace the file, unless it is sticky.
		{name: "0755 directory", fileMode: 0o600, dirMode: 0o755, wantEmpty: true},
		{name: "0711 directory", fileMode: 0o600, dirMode: 0o711, wantEmpty: true},
		{name: "0775 directory", fileMode: 0o600, dirMode: 0o775, want: []string{"netsuite: directory ", "has mode 0775", "writable by other users", "chmod 700"}},
		{name: "0777 directory", fileMode: 0o600, dirMode: 0o777, want: []string{"directory ", "has mode 0777", "writable by other users"}},
		{name: "sticky 1777 directory", fileMode: 0o600, dirMode: 0o777 | fs.ModeSticky, wantEmpty: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "d")
			require.NoError(t, os.Mkdir(dir, 0o700))
			path := filepath.Join(dir, "tok.json")
			require.NoError(t, os.WriteFile(path, []byte("data"), 0o600))
			require.NoError(t, os.Chmod(path, tc.fileMode))
			require.NoError(t, os.Chmod(dir, tc.dirMode))

			data, warning, err := New(path).Load()
			require.NoError(t, err)
			assert.Equal(t, "data", string(data), "a warning still returns the data")
			if tc.wantEmpty {
				assert.Empty(t, warning)
				return
			}
			assert.Contains(t, warning, path)
			for _, w := range tc.want {
				assert.Contains(t, warning, w)
			}
		})
	}
}

func TestSymlinkRefused(t *testing.T) {
	for _, tc := range []struct {
		name         string
		targetExists bool
	}{
		{"to existing file", true},
		{"dangling", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			target := filepath.Join(dir, "elsewhere")
			if tc.targetExists {
				require.NoError(t, os.WriteFile(target, []byte("original"), 0o600))
			}
			link := filepath.Join(dir, "tok.json")
			require.NoError(t, os.Symlink(target, link))
			s := New(link)

			data, _, err := s.Load()
			require.Error(t, err)
			assert.Nil(t, data)
			assert.Contains(t, err.Error(), "symbolic link")
			assert.Contains(t, err.Error(), "redirect")
			assert.Contains(t, err.Error(), link)

			err = s.Save([]byte("secret tokens"))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "symbolic link")

			if tc.targetExists {
				b, err := os.ReadFile(target)
				require.NoError(t, err)
				assert.Equal(t, "original", string(b), "target must not be written")
			} else {
				_, err := os.Lstat(target)
				assert.ErrorIs(t, err, os.ErrNotExist, "target must not be created")
			}
			fi, err := os.Lstat(link)
			require.NoError(t, err)
			assert.NotZero(t, fi.Mode()&fs.ModeSymlink, "the link itself is left alone")
			assert.Empty(t, tempFiles(t, dir))
		})
	}
}

func TestSymlinkedDirectoryAllowed(t *testing.T) {
	root := t.TempDir()
	real := filepath.Join(root, "real")
	require.NoError(t, os.Mkdir(real, 0o700))
	require.NoError(t, os.Symlink(real, filepath.Join(root, "link")))

	s := New(filepath.Join(root, "link", "tok.json"))
	require.NoError(t, s.Save([]byte("x")))
	data, warning, err := s.Load()
	require.NoError(t, err)
	assert.Equal(t, "x", string(data))
	assert.Empty(t, warning, "the directory's own mode counts, not the link's")
	b, err := os.ReadFile(filepath.Join(real, "tok.json"))
	require.NoError(t, err)
	assert.Equal(t, "x", string(b))
}

func TestSocketRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tok.json")
	l, err := net.Listen("unix", path)
	require.NoError(t, err)
	defer l.Close()
	_, _, err = New(path).Load()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a regular file")
	err = New(path).Save([]byte("x"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a regular file")
}

func TestSaveUnwritableDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores directory permissions")
	}
	dir := filepath.Join(t.TempDir(), "ro")
	require.NoError(t, os.Mkdir(dir, 0o700))
	s := New(filepath.Join(dir, "tok.json"))
	require.NoError(t, s.Save([]byte("old")))
	require.NoError(t, os.Chmod(dir, 0o500))
	t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })

	err := s.Save([]byte("new"))
	require.ErrorIs(t, err, fs.ErrPermission)
	data, _, err := s.Load()
	require.NoError(t, err)
	assert.Equal(t, "old", string(data))
}
