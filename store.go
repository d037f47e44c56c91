package netsuite

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"

	"golang.org/x/oauth2"

	"github.com/suitekit/netsuite/internal/filestore"
)

// TokenStore keeps an authorization-code token across restarts and between
// processes. The Connection loads it before refreshing and saves every new
// token — a refreshed access token, a rotated refresh token — before using
// it, and returns (never swallows) a Save error.
//
// To share tokens between many replicas of a service, implement TokenStore
// (and TokenLocker) over your database: Load reads one row, Save writes it,
// and Lock takes a row lock or advisory lock (for example PostgreSQL's
// SELECT … FOR UPDATE in a transaction, or pg_advisory_lock) held until
// unlock is called. Without a lock, two replicas refreshing at the same
// moment both spend one rotating refresh token and one of them is refused.
type TokenStore interface {
	// Load returns the stored token, or (nil, nil) when there is none.
	Load(ctx context.Context) (*oauth2.Token, error)
	// Save stores tok, replacing the previous token; Save(ctx, nil)
	// removes it (after a revocation).
	Save(ctx context.Context, tok *oauth2.Token) error
}

// TokenLocker is implemented by a TokenStore shared between processes: the
// Connection holds the lock while it loads, refreshes and saves, so that a
// second process waits and then finds the new token instead of spending
// the old refresh token again.
type TokenLocker interface {
	Lock(ctx context.Context) (unlock func(), err error)
}

// FileStore is a TokenStore in a JSON file, shared safely between
// processes: written atomically (temporary file, fsync, rename) with mode
// 0600 in a directory created 0700, guarded by a lock file (path + ".lock")
// during refreshes, and never written through a symlink. Loading a file
// that other users can read logs a warning (to the Config.Logger of the
// Connection using the store, or slog.Default).
type FileStore struct {
	f      *filestore.Store
	logger *atomic.Pointer[slog.Logger] // set by the Connection that uses it
}

var (
	_ TokenStore  = (*FileStore)(nil)
	_ TokenLocker = (*FileStore)(nil)
)

// NewFileStore returns a FileStore at path. Nothing is read or created
// until the first Load or Save.
func NewFileStore(path string) *FileStore {
	return &FileStore{f: filestore.New(path), logger: new(atomic.Pointer[slog.Logger])}
}

// setLogger sends the warnings to the Connection's logger.
func (s *FileStore) setLogger(l *slog.Logger) { s.logger.CompareAndSwap(nil, l) }

// Path returns the file's path.
func (s *FileStore) Path() string { return s.f.Path() }

// Load reads the token, or returns (nil, nil) when the file does not exist.
func (s *FileStore) Load(ctx context.Context) (*oauth2.Token, error) {
	data, warning, err := s.f.Load()
	if err != nil || data == nil {
		return nil, err
	}
	if warning != "" {
		logger := s.logger.Load()
		if logger == nil {
			logger = slog.Default()
		}
		logger.Warn(warning)
	}
	var tok oauth2.Token
	if err := json.Unmarshal(data, &tok); err != nil {
		return nil, fmt.Errorf("netsuite: token file %s is not a token (JSON: %v); remove it and authorize again", s.f.Path(), err)
	}
	if tok.AccessToken == "" && tok.RefreshToken == "" {
		return nil, nil
	}
	return &tok, nil
}

// Save writes tok atomically; Save(ctx, nil) removes the file.
func (s *FileStore) Save(ctx context.Context, tok *oauth2.Token) error {
	if tok == nil {
		return s.f.Remove()
	}
	data, err := json.MarshalIndent(tok, "", "  ")
	if err != nil {
		return fmt.Errorf("netsuite: encoding the token: %w", err)
	}
	return s.f.Save(append(data, '\n'))
}

// Lock takes the inter-process lock, waiting until it is free or ctx ends.
func (s *FileStore) Lock(ctx context.Context) (func(), error) { return s.f.Lock(ctx) }

// String names the file; it never shows its content.
func (s FileStore) String() string {
	if s.f == nil {
		return "netsuite.FileStore(<not made by NewFileStore>)"
	}
	return "netsuite.FileStore(" + s.f.Path() + ")"
}

// Format makes every fmt verb print String.
func (s FileStore) Format(f fmt.State, verb rune) { io.WriteString(f, s.String()) }
