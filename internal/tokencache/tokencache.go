// Package tokencache caches one OAuth 2.0 access token for one credential.
//
// The cache has a lock-free fast path (one atomic pointer load and a clock
// read), runs at most one fetch at a time however many callers need a token
// (single-flight), refreshes early in the background so that callers do not
// wait on the token endpoint in steady state, and drops a rejected token only
// if it is still the cached one (compare-and-swap).
//
// The token returned by [Cache.Token], [Cache.Peek] and given to [Cache.Set]
// is shared by every caller and must be treated as read-only.
package tokencache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
)

// Defaults for the zero values of the corresponding [Options] fields, and the
// backoff cap.
const (
	// DefaultEarlyRefresh is the default Options.EarlyRefresh.
	DefaultEarlyRefresh = 5 * time.Minute
	// DefaultMinValidity is the default Options.MinValidity.
	DefaultMinValidity = 30 * time.Second
	// DefaultFetchTimeout is the default Options.FetchTimeout.
	DefaultFetchTimeout = 30 * time.Second
	// DefaultRetryBackoff is the default Options.RetryBackoff.
	DefaultRetryBackoff = 5 * time.Second
	// MaxRetryBackoff caps the doubling of the background-refresh backoff
	// (unless Options.RetryBackoff itself is larger).
	MaxRetryBackoff = time.Minute
)

// ErrClosed is returned by [Cache.Token] after [Cache.Close], and wrapped in
// the error handed to callers that were waiting for a fetch that Close
// aborted.
var ErrClosed = errors.New("netsuite: token cache closed")

// FetchFunc obtains a new token, e.g. by posting a signed JWT assertion
// (client credentials) or a refresh-token grant (authorization code; the new
// token should be persisted before FetchFunc returns).
//
// ctx is detached from every caller of [Cache.Token]: it is cancelled only by
// Options.FetchTimeout or [Cache.Close], and FetchFunc must return promptly
// when it is done. Until FetchFunc returns, no other fetch starts.
type FetchFunc func(ctx context.Context) (*oauth2.Token, error)

// Options configures a [Cache]. Only Fetch is required.
type Options struct {
	// Fetch obtains a new token. Required: New panics without it.
	Fetch FetchFunc

	// EarlyRefresh is how long before expiry a token enters its refresh
	// window: at expiry - min(EarlyRefresh, lifetime/4), where lifetime is
	// expiry minus the time the cache obtained the token (fetch completion,
	// or the Set call). Inside the window Token returns the cached token at
	// once and starts one background refresh. Zero means
	// DefaultEarlyRefresh (5m); a negative value disables early refresh.
	EarlyRefresh time.Duration

	// MinValidity is how much validity a token needs to be handed out: with
	// less left, callers block for a fresh one. Zero means
	// DefaultMinValidity (30s); a negative value means none (usable until
	// expiry). It is capped at half the token's lifetime, so that a token
	// issued with a lifetime shorter than 2*MinValidity is still usable for
	// a while instead of making every call fetch.
	MinValidity time.Duration

	// FetchTimeout bounds each fetch. The fetch context derives from the
	// cache's own lifetime (cancelled by Close), never from a caller. Zero or
	// negative means DefaultFetchTimeout (30s).
	FetchTimeout time.Duration

	// RetryBackoff is how long after a failed background refresh (while the
	// cached token is still usable) no new background refresh starts. It
	// doubles after each consecutive failure, up to max(RetryBackoff,
	// MaxRetryBackoff), and resets after a successful fetch. Zero or negative
	// means DefaultRetryBackoff (5s). Callers are never kept from fetching
	// once the token is unusable.
	RetryBackoff time.Duration

	// OnRefreshError, if set, is called with the error of every failed
	// background refresh (failures of blocking fetches go to the waiting
	// callers instead; a fetch aborted by Close is not reported). It runs on
	// the fetch goroutine, after waiters have been released; it must not
	// call Close.
	OnRefreshError func(error)
}

// never is the deadline of a token without expiry.
const never = math.MaxInt64

// state is one immutable snapshot of the cached token. Deadlines are Unix
// nanoseconds (wall clock, like oauth2.Token.Valid), so the fast path is one
// clock read and one integer compare.
type state struct {
	tok *oauth2.Token // nil when empty
	// refreshAt: from here on the token is in its refresh window (or, when
	// equal to unusableAt, unusable). refreshAt <= unusableAt always.
	refreshAt int64
	// unusableAt: from here on callers block for a fresh token.
	unusableAt int64
	// claimed is set by the one caller that starts the background refresh
	// for this snapshot; it is the only mutable field.
	claimed atomic.Bool
}

// emptyState has no token: every Token call takes the slow path.
func emptyState() *state { return &state{refreshAt: math.MinInt64, unusableAt: math.MinInt64} }

// flight is one fetch in progress. tok and err are written before done is
// closed.
type flight struct {
	done chan struct{}
	tok  *oauth2.Token
	err  error
}

// Cache is a cached OAuth 2.0 access token for one credential, safe for
// concurrent use. Create it with [New]; release it with [Cache.Close].
type Cache struct {
	state atomic.Pointer[state]

	fetch          FetchFunc
	earlyRefresh   time.Duration // < 0: disabled
	minValidity    time.Duration // >= 0
	fetchTimeout   time.Duration
	retryBackoff   time.Duration
	maxBackoff     time.Duration
	onRefreshError func(error)

	ctx    context.Context // lifetime of the cache; parent of every fetch
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup // goroutines started by the cache

	mu      sync.Mutex    // guards the fields below and every state install
	fl      *flight       // fetch in progress, or nil
	closed  bool          // Close was called
	backoff time.Duration // next background-retry backoff; 0 means retryBackoff
}

// New returns an empty cache that obtains tokens with opts.Fetch. It starts
// no goroutine until a fetch is needed. It panics if opts.Fetch is nil.
func New(opts Options) *Cache {
	if opts.Fetch == nil {
		panic("netsuite: tokencache.New: Options.Fetch is nil")
	}
	c := &Cache{
		fetch:          opts.Fetch,
		earlyRefresh:   opts.EarlyRefresh,
		minValidity:    opts.MinValidity,
		fetchTimeout:   opts.FetchTimeout,
		retryBackoff:   opts.RetryBackoff,
		onRefreshError: opts.OnRefreshError,
	}
	if c.earlyRefresh == 0 {
		c.earlyRefresh = DefaultEarlyRefresh
	}
	switch {
	case c.minValidity == 0:
		c.minValidity = DefaultMinValidity
	case c.minValidity < 0:
		c.minValidity = 0
	}
	if c.fetchTimeout <= 0 {
		c.fetchTimeout = DefaultFetchTimeout
	}
	if c.retryBackoff <= 0 {
		c.retryBackoff = DefaultRetryBackoff
	}
	c.maxBackoff = max(c.retryBackoff, MaxRetryBackoff)
	c.ctx, c.cancel = context.WithCancelCause(context.Background())
	c.state.Store(emptyState())
	return c
}

// Token returns a usable token.
//
// Fast path: while the cached token is before its refresh window, Token
// returns it without locking or allocating. In the refresh window it still
// returns the cached token at once, and the first such caller starts one
// background refresh. Once the token is unusable (less than MinValidity
// left, or none cached), Token joins the fetch in flight, or starts it, and
// waits for it or for ctx. A caller that gives up returns ctx's error
// (errors.Is(err, context.Canceled or context.DeadlineExceeded), and
// errors.Is(err, context.Cause(ctx))) without cancelling the fetch for the
// other waiters. A usable token is returned even if ctx is already done.
//
// Every waiter of a failed fetch gets that fetch's error; the next call starts
// a new fetch. A fetch error whose message already starts with "netsuite: " is
// passed through as is (so errors.As finds e.g. a token-endpoint error);
// others are wrapped as "netsuite: fetching token: ...". A fetch that outlives
// FetchTimeout yields an error matching context.DeadlineExceeded. After Close,
// Token returns ErrClosed.
func (c *Cache) Token(ctx context.Context) (*oauth2.Token, error) {
	s := c.state.Load()
	now := time.Now().UnixNano()
	if now < s.refreshAt {
		return s.tok, nil
	}
	return c.tokenSlow(ctx, s, now)
}

func (c *Cache) tokenSlow(ctx context.Context, s *state, now int64) (*oauth2.Token, error) {
	for {
		if now < s.refreshAt {
			return s.tok, nil
		}
		if now < s.unusableAt { // refresh window
			if !s.claimed.Load() && s.claimed.CompareAndSwap(false, true) {
				c.startBackground(s)
			}
			return s.tok, nil
		}
		if ctx.Err() != nil {
			return nil, ctxError(ctx)
		}

		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, ErrClosed
		}
		f := c.fl
		if f == nil {
			// A fetch may have completed between our load and the lock.
			// Tokens are installed only under c.mu (Invalidate, which only
			// empties the cache, is the one lock-free writer).
			s, now = c.state.Load(), time.Now().UnixNano()
			if now < s.unusableAt {
				c.mu.Unlock()
				continue
			}
			f = c.startLocked(nil)
		}
		c.mu.Unlock()

		select {
		case <-f.done:
			return f.tok, f.err
		case <-ctx.Done():
			return nil, ctxError(ctx)
		}
	}
}

// ctxError reports that the caller stopped waiting. It wraps both ctx.Err()
// and, when different, context.Cause(ctx).
func ctxError(ctx context.Context) error {
	err, cause := ctx.Err(), context.Cause(ctx)
	if cause == nil || cause == err {
		return fmt.Errorf("netsuite: waiting for token: %w", err)
	}
	return fmt.Errorf("netsuite: waiting for token: %w: %w", err, cause)
}

// startBackground starts a background refresh of s, the snapshot whose
// refresh window the caller just claimed.
func (c *Cache) startBackground(s *state) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed, c.state.Load() != s:
		// Closed, or s was replaced (its successor has its own claim).
	case c.fl != nil:
		// A fetch started for an earlier snapshot is still running. Release
		// the claim so that, should that fetch fail, a later caller in the
		// window starts the refresh.
		s.claimed.Store(false)
	default:
		c.startLocked(s)
	}
}

// startLocked starts a fetch; bg is the snapshot being refreshed in the
// background, or nil for a blocking fetch. c.mu must be held and c.closed
// false, so that Close either sees this goroutine in c.wg or prevents it.
func (c *Cache) startLocked(bg *state) *flight {
	f := &flight{done: make(chan struct{})}
	c.fl = f
	c.wg.Add(1)
	go c.run(f, bg)
	return f
}

// run performs the fetch of flight f and publishes its outcome.
func (c *Cache) run(f *flight, bg *state) {
	defer c.wg.Done()

	ctx, cancel := context.WithTimeout(c.ctx, c.fetchTimeout)
	tok, err := c.fetch(ctx)
	timedOut := errors.Is(ctx.Err(), context.DeadlineExceeded)
	cancel()
	now := time.Now()

	if err == nil {
		err = validate(tok, now)
	}
	if err != nil {
		tok = nil
		switch {
		case c.ctx.Err() != nil: // cancelled by Close
			err = fmt.Errorf("%w: token fetch aborted: %w", ErrClosed, err)
		case timedOut:
			err = timeoutError(c.fetchTimeout, err)
		case !strings.HasPrefix(err.Error(), "netsuite: "):
			err = fmt.Errorf("netsuite: fetching token: %w", err)
		}
	}

	c.mu.Lock()
	switch {
	case c.closed:
		if err == nil {
			// Hand the token to the waiters and keep it visible to Peek;
			// Token keeps failing.
			c.state.Store(&state{tok: tok, refreshAt: math.MinInt64, unusableAt: math.MinInt64})
		}
	case err == nil:
		c.state.Store(c.newState(tok, now))
		c.backoff = 0
	case bg != nil && now.UnixNano() < bg.unusableAt:
		// Background refresh failed and the old token is still usable: keep
		// serving it, and retry no sooner than the backoff. CAS, because
		// Invalidate may have dropped bg without holding c.mu.
		b := c.backoff
		if b == 0 {
			b = c.retryBackoff
		}
		retry := &state{
			tok:        bg.tok,
			refreshAt:  min(now.Add(b).UnixNano(), bg.unusableAt),
			unusableAt: bg.unusableAt,
		}
		if c.state.CompareAndSwap(bg, retry) {
			c.backoff = min(2*b, c.maxBackoff)
		}
	}
	// A fetch aborted by Close is not reported as a refresh failure.
	report := err != nil && bg != nil && !c.closed && c.onRefreshError != nil
	f.tok, f.err = tok, err
	c.fl = nil
	close(f.done)
	c.mu.Unlock()

	if report {
		c.onRefreshError(err)
	}
}

// validate rejects fetch results that cannot be cached.
func validate(tok *oauth2.Token, now time.Time) error {
	switch {
	case tok == nil:
		return errors.New("netsuite: token fetch returned no token")
	case tok.AccessToken == "":
		return errors.New("netsuite: token fetch returned an empty access token")
	case !tok.Expiry.IsZero() && !now.Before(tok.Expiry):
		return fmt.Errorf("netsuite: token fetch returned a token that expired at %s",
			tok.Expiry.UTC().Format(time.RFC3339))
	}
	return nil
}

// timeoutError makes sure an error of a fetch that ran out of time matches
// context.DeadlineExceeded.
func timeoutError(d time.Duration, err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("netsuite: token fetch timed out after %s: %w", d, err)
	}
	return fmt.Errorf("netsuite: token fetch timed out after %s: %w: %w", d, context.DeadlineExceeded, err)
}

// newState computes the deadlines of tok, obtained at now.
func (c *Cache) newState(tok *oauth2.Token, now time.Time) *state {
	if tok.Expiry.IsZero() {
		return &state{tok: tok, refreshAt: never, unusableAt: never}
	}
	exp := tok.Expiry.Round(0) // wall clock, as oauth2.Token.Valid
	lifetime := max(exp.Sub(now), 0)
	unusable := exp.Add(-min(c.minValidity, lifetime/2)).UnixNano()
	refresh := unusable
	if c.earlyRefresh > 0 {
		refresh = min(exp.Add(-min(c.earlyRefresh, lifetime/4)).UnixNano(), unusable)
	}
	return &state{tok: tok, refreshAt: refresh, unusableAt: unusable}
}

// Invalidate drops the cached token only if its AccessToken equals
// accessToken (compare-and-swap), so that a 401 for an old token does not
// throw away a newer one. It reports whether it dropped the token; the next
// Token call then fetches. It does not cancel a fetch in flight.
func (c *Cache) Invalidate(accessToken string) bool {
	for {
		s := c.state.Load()
		if s.tok == nil || s.tok.AccessToken != accessToken {
			return false
		}
		if c.state.CompareAndSwap(s, emptyState()) {
			return true
		}
	}
}

// Set installs tok (e.g. a token loaded from a store), replacing the cached
// one; its lifetime for the refresh window is counted from now. Set(nil), or
// a token with an empty AccessToken, empties the cache. After Close, Set does
// nothing. A fetch in flight still installs its result when it completes.
func (c *Cache) Set(tok *oauth2.Token) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if tok == nil || tok.AccessToken == "" {
		c.state.Store(emptyState())
		return
	}
	c.state.Store(c.newState(tok, time.Now()))
}

// Peek returns the cached token without fetching: nil if there is none, and
// possibly expired or unusable.
func (c *Cache) Peek() *oauth2.Token {
	return c.state.Load().tok
}

// Close cancels the fetch in flight (its waiters get an error wrapping
// ErrClosed), waits until every goroutine the cache started has returned,
// and makes later Token calls fail with ErrClosed. It is idempotent and
// always returns nil. It must not be called from Options.Fetch or
// Options.OnRefreshError.
func (c *Cache) Close() error {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		old := c.state.Load()
		c.state.Store(&state{tok: old.tok, refreshAt: math.MinInt64, unusableAt: math.MinInt64})
		c.cancel(ErrClosed)
	}
	c.mu.Unlock()
	c.wg.Wait()
	return nil
}

// String describes the cache without revealing the token.
func (c *Cache) String() string {
	c.mu.Lock()
	closed, fetching := c.closed, c.fl != nil
	c.mu.Unlock()
	s := c.state.Load()
	var b strings.Builder
	b.WriteString("tokencache.Cache{")
	switch now := time.Now().UnixNano(); {
	case closed:
		b.WriteString("closed")
	case s.tok == nil:
		b.WriteString("empty")
	case now < s.refreshAt:
		b.WriteString("valid")
	case now < s.unusableAt:
		b.WriteString("refresh due")
	default:
		b.WriteString("unusable")
	}
	if s.tok != nil && !s.tok.Expiry.IsZero() {
		b.WriteString(" expiry=")
		b.WriteString(s.tok.Expiry.UTC().Format(time.RFC3339))
	}
	if fetching {
		b.WriteString(" fetching")
	}
	b.WriteString("}")
	return b.String()
}

// Format prints String for every verb, so that no fmt verb reveals the token.
func (c *Cache) Format(f fmt.State, _ rune) {
	_, _ = f.Write([]byte(c.String()))
}

// LogValue logs String, so that slog never reveals the token.
func (c *Cache) LogValue() slog.Value {
	return slog.StringValue(c.String())
}
