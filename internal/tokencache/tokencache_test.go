package tokencache_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/suitekit/netsuite/internal/tokencache"
)

var errBoom = errors.New("netsuite: token endpoint: boom")

// newTok returns a token obtained now (fake time inside a bubble).
func newTok(name string, lifetime time.Duration) *oauth2.Token {
	return &oauth2.Token{AccessToken: name, TokenType: "Bearer", Expiry: time.Now().Add(lifetime)}
}

// gatedFetch counts calls and returns next() once release is closed, or the
// fetch context's error if it ends first.
func gatedFetch(calls *atomic.Int32, release <-chan struct{}, next func() *oauth2.Token) tokencache.FetchFunc {
	return func(ctx context.Context) (*oauth2.Token, error) {
		calls.Add(1)
		select {
		case <-release:
			return next(), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// result is one Token call's outcome, collected from a goroutine.
type result struct {
	tok     *oauth2.Token
	err     error
	elapsed time.Duration
}

// callAsync calls c.Token on a new goroutine.
func callAsync(ctx context.Context, c *tokencache.Cache) <-chan result {
	ch := make(chan result, 1)
	go func() {
		start := time.Now()
		tok, err := c.Token(ctx)
		ch <- result{tok, err, time.Since(start)}
	}()
	return ch
}

func TestNewRequiresFetch(t *testing.T) {
	assert.PanicsWithValue(t, "netsuite: tokencache.New: Options.Fetch is nil", func() {
		tokencache.New(tokencache.Options{})
	})
}

func TestConcurrentCallersSingleFetch(t *testing.T) {
	tests := []struct {
		name  string
		setup func(c *tokencache.Cache)
	}{
		{"empty cache", func(*tokencache.Cache) {}},
		{"expired token", func(c *tokencache.Cache) {
			c.Set(newTok("old", time.Hour))
			time.Sleep(time.Hour)
		}},
		{"less than MinValidity left", func(c *tokencache.Cache) {
			c.Set(newTok("old", time.Hour))
			time.Sleep(time.Hour - 29*time.Second)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var calls atomic.Int32
				release := make(chan struct{})
				c := tokencache.New(tokencache.Options{
					Fetch: gatedFetch(&calls, release, func() *oauth2.Token { return newTok("fresh", time.Hour) }),
				})
				defer c.Close()
				tc.setup(c)

				const n = 200
				results := make([]<-chan result, n)
				for i := range n {
					results[i] = callAsync(t.Context(), c)
				}
				synctest.Wait()
				require.EqualValues(t, 1, calls.Load(), "fetches while %d callers wait", n)

				close(release)
				var first *oauth2.Token
				for i := range n {
					r := <-results[i]
					require.NoError(t, r.err)
					if first == nil {
						first = r.tok
					}
					assert.Same(t, first, r.tok, "caller %d", i)
				}
				assert.Equal(t, "fresh", first.AccessToken)
				assert.EqualValues(t, 1, calls.Load())
				assert.Same(t, first, c.Peek())
			})
		})
	}
}

func TestCallerGivesUp(t *testing.T) {
	errMine := errors.New("caller went away")
	tests := []struct {
		name     string
		ctx      func(parent context.Context) (context.Context, func())
		wantErr  []error
		wantWait time.Duration // how long the caller waited before giving up
	}{
		{
			name: "cancel",
			ctx: func(p context.Context) (context.Context, func()) {
				ctx, cancel := context.WithCancel(p)
				return ctx, cancel
			},
			wantErr: []error{context.Canceled},
		},
		{
			name: "cancel with cause",
			ctx: func(p context.Context) (context.Context, func()) {
				ctx, cancel := context.WithCancelCause(p)
				return ctx, func() { cancel(errMine) }
			},
			wantErr: []error{context.Canceled, errMine},
		},
		{
			name: "deadline",
			ctx: func(p context.Context) (context.Context, func()) {
				ctx, cancel := context.WithTimeout(p, 3*time.Second)
				return ctx, func() { <-ctx.Done(); cancel() }
			},
			wantErr:  []error{context.DeadlineExceeded},
			wantWait: 3 * time.Second,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var calls atomic.Int32
				release := make(chan struct{})
				var fetchCtxErr atomic.Value
				c := tokencache.New(tokencache.Options{
					Fetch: func(ctx context.Context) (*oauth2.Token, error) {
						calls.Add(1)
						<-release
						fetchCtxErr.Store(fmt.Sprint(ctx.Err()))
						return newTok("fresh", time.Hour), nil
					},
				})
				defer c.Close()

				ctx, giveUp := tc.ctx(t.Context())
				quitter := callAsync(ctx, c)
				others := []<-chan result{callAsync(t.Context(), c), callAsync(t.Context(), c)}
				synctest.Wait()

				giveUp()
				synctest.Wait()
				var r result
				select {
				case r = <-quitter:
				default:
					t.Fatal("caller did not return after its context ended")
				}
				assert.Nil(t, r.tok)
				for _, want := range tc.wantErr {
					assert.ErrorIs(t, r.err, want)
				}
				assert.ErrorIs(t, r.err, context.Cause(ctx))
				assert.True(t, strings.HasPrefix(r.err.Error(), "netsuite: "), r.err.Error())
				assert.Equal(t, tc.wantWait, r.elapsed)

				close(release)
				for _, ch := range others {
					r := <-ch
					require.NoError(t, r.err)
					assert.Equal(t, "fresh", r.tok.AccessToken)
				}
				assert.Equal(t, "<nil>", fetchCtxErr.Load(), "fetch context was cancelled")
				assert.EqualValues(t, 1, calls.Load())
			})
		})
	}
}

func TestAlreadyCancelledContextStartsNoFetch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		c := tokencache.New(tokencache.Options{
			Fetch: func(context.Context) (*oauth2.Token, error) {
				calls.Add(1)
				return newTok("fresh", time.Hour), nil
			},
		})
		defer c.Close()
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := c.Token(ctx)
		assert.ErrorIs(t, err, context.Canceled)
		synctest.Wait()
		assert.Zero(t, calls.Load())

		// A usable token is still returned on a cancelled context.
		c.Set(newTok("set", time.Hour))
		tok, err := c.Token(ctx)
		require.NoError(t, err)
		assert.Equal(t, "set", tok.AccessToken)
	})
}

func TestEarlyRefreshWindow(t *testing.T) {
	tests := []struct {
		name         string
		earlyRefresh time.Duration
		lifetime     time.Duration
		windowStart  time.Duration // after the token was obtained
	}{
		{"default 5m of a 60m token", 0, time.Hour, 55 * time.Minute},
		{"custom 10m of a 60m token", 10 * time.Minute, time.Hour, 50 * time.Minute},
		{"lifetime/4 of a 12m token", 0, 12 * time.Minute, 9 * time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var calls atomic.Int32
				release := make(chan struct{})
				c := tokencache.New(tokencache.Options{
					EarlyRefresh: tc.earlyRefresh,
					Fetch:        gatedFetch(&calls, release, func() *oauth2.Token { return newTok("new", time.Hour) }),
				})
				defer c.Close()
				c.Set(newTok("old", tc.lifetime))

				// Just before the window: no refresh.
				time.Sleep(tc.windowStart - time.Nanosecond)
				tok, err := c.Token(t.Context())
				require.NoError(t, err)
				assert.Equal(t, "old", tok.AccessToken)
				synctest.Wait()
				assert.Zero(t, calls.Load())

				// In the window: every caller gets the old token at once.
				time.Sleep(time.Nanosecond)
				const n = 50
				results := make([]<-chan result, n)
				for i := range n {
					results[i] = callAsync(t.Context(), c)
				}
				synctest.Wait()
				for i := range n {
					select {
					case r := <-results[i]:
						require.NoError(t, r.err)
						assert.Equal(t, "old", r.tok.AccessToken)
						assert.Zero(t, r.elapsed, "caller %d waited", i)
					default:
						t.Fatalf("caller %d blocked in the refresh window", i)
					}
				}
				assert.EqualValues(t, 1, calls.Load(), "background fetches")

				close(release)
				synctest.Wait()
				tok, err = c.Token(t.Context())
				require.NoError(t, err)
				assert.Equal(t, "new", tok.AccessToken)
				assert.EqualValues(t, 1, calls.Load())
			})
		})
	}
}

func TestBackgroundRefreshJoinedWhenTokenBecomesUnusable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		release := make(chan struct{})
		c := tokencache.New(tokencache.Options{
			FetchTimeout: 10 * time.Minute,
			Fetch:        gatedFetch(&calls, release, func() *oauth2.Token { return newTok("new", time.Hour) }),
		})
		defer c.Close()
		c.Set(newTok("old", time.Hour))
		time.Sleep(56 * time.Minute)
		tok, err := c.Token(t.Context())
		require.NoError(t, err)
		assert.Equal(t, "old", tok.AccessToken)

		// The background fetch hangs past the point the token is unusable.
		time.Sleep(3*time.Minute + 30*time.Second)
		waiters := []<-chan result{callAsync(t.Context(), c), callAsync(t.Context(), c)}
		synctest.Wait()
		close(release)
		for _, w := range waiters {
			r := <-w
			require.NoError(t, r.err)
			assert.Equal(t, "new", r.tok.AccessToken)
		}
		assert.EqualValues(t, 1, calls.Load())
	})
}

func TestBackgroundRefreshFailureBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Fetches 1-3 fail, 4 succeeds, 5 fails, 6 succeeds.
		var calls atomic.Int32
		var mu sync.Mutex
		var refreshErrs []error
		errCount := func() int { mu.Lock(); defer mu.Unlock(); return len(refreshErrs) }
		c := tokencache.New(tokencache.Options{
			Fetch: func(context.Context) (*oauth2.Token, error) {
				switch n := calls.Add(1); n {
				case 4, 6:
					return newTok("tok"+strconv.Itoa(int(n)), time.Hour), nil
				default:
					return nil, errBoom
				}
			},
			OnRefreshError: func(err error) {
				mu.Lock()
				defer mu.Unlock()
				refreshErrs = append(refreshErrs, err)
			},
		})
		defer c.Close()
		c.Set(newTok("tok0", time.Hour))

		// check calls Token and asserts the token served and the fetch count
		// once the background fetch (if any) is done.
		check := func(wantTok string, wantCalls int32) {
			t.Helper()
			before := time.Now()
			tok, err := c.Token(t.Context())
			require.NoError(t, err)
			assert.Zero(t, time.Since(before))
			assert.Equal(t, wantTok, tok.AccessToken)
			synctest.Wait()
			assert.Equal(t, wantCalls, calls.Load(), "fetches at %v", time.Now())
		}

		time.Sleep(55 * time.Minute)
		check("tok0", 1) // background refresh 1 fails
		require.Equal(t, 1, errCount())
		mu.Lock()
		assert.ErrorIs(t, refreshErrs[0], errBoom)
		mu.Unlock()

		steps := []struct {
			backoff   time.Duration
			wantCalls int32
		}{
			{5 * time.Second, 2},  // fails
			{10 * time.Second, 3}, // fails
			{20 * time.Second, 4}, // succeeds: tok4
		}
		for _, s := range steps {
			time.Sleep(s.backoff - time.Millisecond)
			check("tok0", s.wantCalls-1) // still backing off
			time.Sleep(time.Millisecond)
			check("tok0", s.wantCalls) // the one retry
		}
		check("tok4", 4)
		assert.Equal(t, 3, errCount())

		// Backoff was reset by the success.
		time.Sleep(55 * time.Minute)
		check("tok4", 5) // fails
		time.Sleep(5*time.Second - time.Millisecond)
		check("tok4", 5)
		time.Sleep(time.Millisecond)
		check("tok4", 6) // succeeds
		check("tok6", 6)
		assert.Equal(t, 4, errCount())
	})
}

func TestBackgroundRetryBackoffDoublesToCap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		var errCount atomic.Int32
		c := tokencache.New(tokencache.Options{
			Fetch: func(context.Context) (*oauth2.Token, error) {
				calls.Add(1)
				return nil, errBoom
			},
			OnRefreshError: func(error) { errCount.Add(1) },
		})
		defer c.Close()
		c.Set(newTok("old", time.Hour))
		time.Sleep(55 * time.Minute)
		_, err := c.Token(t.Context())
		require.NoError(t, err)
		synctest.Wait()
		require.EqualValues(t, 1, calls.Load())

		// The window lasts 4m30s; retries at +5s, +10s, +20s, +40s, +60s, +60s.
		for i, gap := range []time.Duration{5, 10, 20, 40, 60, 60} {
			gap *= time.Second
			want := int32(i + 1)
			time.Sleep(gap - time.Millisecond)
			_, err := c.Token(t.Context())
			require.NoError(t, err)
			synctest.Wait()
			require.Equal(t, want, calls.Load(), "retry %d came before %v", i+1, gap)
			time.Sleep(time.Millisecond)
			_, err = c.Token(t.Context())
			require.NoError(t, err)
			synctest.Wait()
			require.Equal(t, want+1, calls.Load(), "retry %d not at %v", i+1, gap)
		}
		assert.Equal(t, calls.Load(), errCount.Load())
	})
}

func TestBackoffNeverOutlastsUsability(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		c := tokencache.New(tokencache.Options{
			RetryBackoff: 10 * time.Minute,
			Fetch: func(context.Context) (*oauth2.Token, error) {
				if calls.Add(1) == 1 {
					return nil, errBoom
				}
				return newTok("new", time.Hour), nil
			},
		})
		defer c.Close()
		c.Set(newTok("old", time.Hour))
		time.Sleep(56 * time.Minute)
		_, err := c.Token(t.Context())
		require.NoError(t, err)
		synctest.Wait()
		require.EqualValues(t, 1, calls.Load())

		// Once the old token is unusable, the caller fetches despite the
		// backoff.
		time.Sleep(3*time.Minute + 30*time.Second)
		tok, err := c.Token(t.Context())
		require.NoError(t, err)
		assert.Equal(t, "new", tok.AccessToken)
		assert.EqualValues(t, 2, calls.Load())
	})
}

func TestFetchFailureWithoutUsableToken(t *testing.T) {
	tests := []struct {
		name    string
		result  func() (*oauth2.Token, error)
		wantIs  error
		wantMsg string
	}{
		{"error", func() (*oauth2.Token, error) { return nil, errBoom }, errBoom, "netsuite: token endpoint: boom"},
		{"error without prefix", func() (*oauth2.Token, error) { return nil, errors.New("dial tcp: refused") }, nil,
			"netsuite: fetching token: dial tcp: refused"},
		{"token and error", func() (*oauth2.Token, error) { return newTok("secret-at", time.Hour), errBoom }, errBoom,
			"netsuite: token endpoint: boom"},
		{"nil token", func() (*oauth2.Token, error) { return nil, nil }, nil, "netsuite: token fetch returned no token"},
		{"empty access token", func() (*oauth2.Token, error) { return newTok("", time.Hour), nil }, nil,
			"netsuite: token fetch returned an empty access token"},
		{"already expired", func() (*oauth2.Token, error) { return newTok("secret-at", -time.Second), nil }, nil,
			"netsuite: token fetch returned a token that expired at 1999-12-31T23:59:59Z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var calls atomic.Int32
				release := make(chan struct{})
				c := tokencache.New(tokencache.Options{
					Fetch: func(context.Context) (*oauth2.Token, error) {
						if calls.Add(1) > 1 {
							return newTok("good", time.Hour), nil
						}
						<-release
						return tc.result()
					},
				})
				defer c.Close()

				const n = 10
				results := make([]<-chan result, n)
				for i := range n {
					results[i] = callAsync(t.Context(), c)
				}
				synctest.Wait()
				close(release)
				for i := range n {
					r := <-results[i]
					assert.Nil(t, r.tok)
					require.Error(t, r.err)
					if tc.wantIs != nil {
						assert.ErrorIs(t, r.err, tc.wantIs)
					}
					assert.Equal(t, tc.wantMsg, r.err.Error())
					assert.NotContains(t, r.err.Error(), "secret-at")
				}
				assert.EqualValues(t, 1, calls.Load())
				assert.Nil(t, c.Peek())

				// No error caching: the next call fetches again.
				tok, err := c.Token(t.Context())
				require.NoError(t, err)
				assert.Equal(t, "good", tok.AccessToken)
				assert.EqualValues(t, 2, calls.Load())
			})
		})
	}
}

func TestInvalidateCompareAndSwap(t *testing.T) {
	tests := []struct {
		name       string
		invalidate []string // successive Invalidate arguments
		wantOK     []bool
		wantFetch  bool
	}{
		{"stale token keeps newer", []string{"old"}, []bool{false}, false},
		{"unknown token", []string{"other"}, []bool{false}, false},
		{"current token", []string{"current"}, []bool{true}, true},
		{"current token twice", []string{"current", "current"}, []bool{true, false}, true},
		{"stale then current", []string{"old", "current"}, []bool{false, true}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var calls atomic.Int32
				release := make(chan struct{})
				c := tokencache.New(tokencache.Options{
					Fetch: gatedFetch(&calls, release, func() *oauth2.Token { return newTok("fetched", time.Hour) }),
				})
				defer c.Close()
				c.Set(newTok("old", time.Hour))
				c.Set(newTok("current", time.Hour)) // e.g. another request re-tokened

				for i, at := range tc.invalidate {
					assert.Equal(t, tc.wantOK[i], c.Invalidate(at), "Invalidate(%q)", at)
				}

				const n = 20
				results := make([]<-chan result, n)
				for i := range n {
					results[i] = callAsync(t.Context(), c)
				}
				synctest.Wait()
				close(release)
				want := "current"
				if tc.wantFetch {
					want = "fetched"
					assert.EqualValues(t, 1, calls.Load())
				} else {
					assert.Zero(t, calls.Load())
				}
				for i := range n {
					r := <-results[i]
					require.NoError(t, r.err)
					assert.Equal(t, want, r.tok.AccessToken)
				}
			})
		})
	}
}

func TestInvalidateEmptyCache(t *testing.T) {
	c := tokencache.New(tokencache.Options{Fetch: func(context.Context) (*oauth2.Token, error) { return nil, errBoom }})
	defer c.Close()
	assert.False(t, c.Invalidate(""))
	assert.False(t, c.Invalidate("x"))
}

func TestInvalidateDuringFailingBackgroundRefresh(t *testing.T) {
	// A background refresh that fails after the token was invalidated must
	// not bring the invalidated token back.
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		release := make(chan struct{})
		c := tokencache.New(tokencache.Options{
			Fetch: func(ctx context.Context) (*oauth2.Token, error) {
				if calls.Add(1) == 1 {
					<-release
					return nil, errBoom
				}
				return newTok("new", time.Hour), nil
			},
		})
		defer c.Close()
		c.Set(newTok("old", time.Hour))
		time.Sleep(56 * time.Minute)
		_, err := c.Token(t.Context())
		require.NoError(t, err)
		synctest.Wait()
		require.True(t, c.Invalidate("old"))
		close(release)
		synctest.Wait()
		assert.Nil(t, c.Peek())
		tok, err := c.Token(t.Context())
		require.NoError(t, err)
		assert.Equal(t, "new", tok.AccessToken)
	})
}

func TestFetchTimeout(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
		want    time.Duration
		fetch   func(ctx context.Context) error
	}{
		{"default, fetch returns ctx error", 0, 30 * time.Second,
			func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }},
		{"custom, fetch returns ctx error", 10 * time.Second, 10 * time.Second,
			func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }},
		{"fetch returns unrelated error", 10 * time.Second, 10 * time.Second,
			func(ctx context.Context) error { <-ctx.Done(); return errors.New("connection reset") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var calls atomic.Int32
				c := tokencache.New(tokencache.Options{
					FetchTimeout: tc.timeout,
					Fetch: func(ctx context.Context) (*oauth2.Token, error) {
						if calls.Add(1) > 1 {
							return newTok("good", time.Hour), nil
						}
						return nil, tc.fetch(ctx)
					},
				})
				defer c.Close()

				waiters := []<-chan result{callAsync(t.Context(), c), callAsync(t.Context(), c)}
				for _, w := range waiters {
					r := <-w
					assert.ErrorIs(t, r.err, context.DeadlineExceeded)
					assert.Equal(t, tc.want, r.elapsed)
					assert.True(t, strings.HasPrefix(r.err.Error(), "netsuite: token fetch timed out after "), r.err.Error())
				}
				tok, err := c.Token(t.Context())
				require.NoError(t, err)
				assert.Equal(t, "good", tok.AccessToken)
			})
		})
	}
}

func TestFetchContextIsDetached(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		type key struct{}
		var sawValue atomic.Bool
		c := tokencache.New(tokencache.Options{
			Fetch: func(ctx context.Context) (*oauth2.Token, error) {
				sawValue.Store(ctx.Value(key{}) != nil)
				dl, ok := ctx.Deadline()
				if !ok || !dl.Equal(time.Now().Add(tokencache.DefaultFetchTimeout)) {
					return nil, errors.New("unexpected deadline")
				}
				return newTok("fresh", time.Hour), nil
			},
		})
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.WithValue(t.Context(), key{}, 1), time.Second)
		defer cancel()
		_, err := c.Token(ctx)
		require.NoError(t, err)
		assert.False(t, sawValue.Load())
	})
}

func TestClose(t *testing.T) {
	t.Run("cancels fetch in flight and waits for it", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var cause atomic.Value
			var returned atomic.Bool
			c := tokencache.New(tokencache.Options{
				Fetch: func(ctx context.Context) (*oauth2.Token, error) {
					defer returned.Store(true)
					<-ctx.Done()
					cause.Store(context.Cause(ctx))
					time.Sleep(time.Second) // slow to wind down
					return nil, ctx.Err()
				},
			})
			waiter := callAsync(t.Context(), c)
			synctest.Wait()

			start := time.Now()
			require.NoError(t, c.Close())
			assert.True(t, returned.Load(), "Close returned before the fetch")
			assert.Equal(t, time.Second, time.Since(start))
			assert.Equal(t, tokencache.ErrClosed, cause.Load())

			r := <-waiter
			assert.ErrorIs(t, r.err, tokencache.ErrClosed)
			assert.ErrorIs(t, r.err, context.Canceled)
			assert.Equal(t, "netsuite: token cache closed: token fetch aborted: context canceled", r.err.Error())

			_, err := c.Token(t.Context())
			assert.ErrorIs(t, err, tokencache.ErrClosed)
			assert.NoError(t, c.Close(), "second Close")
		})
	})

	t.Run("cancels background refresh without reporting it", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var calls, reported atomic.Int32
			c := tokencache.New(tokencache.Options{
				Fetch:          gatedFetch(&calls, nil, nil),
				OnRefreshError: func(error) { reported.Add(1) },
			})
			c.Set(newTok("old", time.Hour))
			time.Sleep(56 * time.Minute)
			_, err := c.Token(t.Context())
			require.NoError(t, err)
			synctest.Wait()
			require.EqualValues(t, 1, calls.Load())
			require.NoError(t, c.Close())
			assert.Zero(t, reported.Load())
		})
	})

	t.Run("valid token is not served after Close", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var calls atomic.Int32
			c := tokencache.New(tokencache.Options{Fetch: gatedFetch(&calls, nil, nil)})
			c.Set(newTok("valid", time.Hour))
			require.NoError(t, c.Close())
			tok, err := c.Token(t.Context())
			assert.Nil(t, tok)
			assert.Equal(t, tokencache.ErrClosed, err)
			assert.Equal(t, "valid", c.Peek().AccessToken, "Peek still shows the last token")
			c.Set(newTok("later", time.Hour))
			assert.Equal(t, "valid", c.Peek().AccessToken, "Set after Close")
			assert.Zero(t, calls.Load())
		})
	})

	t.Run("racing callers", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := tokencache.New(tokencache.Options{
				Fetch: func(ctx context.Context) (*oauth2.Token, error) {
					select {
					case <-ctx.Done():
						return nil, ctx.Err()
					case <-time.After(time.Millisecond):
						return newTok("tok", time.Millisecond*40), nil
					}
				},
				MinValidity: -1,
			})
			var wg sync.WaitGroup
			errs := make(chan error, 1000)
			for range 50 {
				wg.Go(func() {
					for range 20 {
						if _, err := c.Token(t.Context()); err != nil {
							errs <- err
						}
						time.Sleep(3 * time.Millisecond)
					}
				})
			}
			time.Sleep(20 * time.Millisecond)
			require.NoError(t, c.Close())
			wg.Wait()
			close(errs)
			for err := range errs {
				assert.ErrorIs(t, err, tokencache.ErrClosed)
			}
		})
	})
}

func TestShortLivedTokens(t *testing.T) {
	tests := []struct {
		name        string
		minValidity time.Duration
	}{
		// 2m lifetime: window = lifetime/4 = 30s. With the default
		// MinValidity (30s) the token is unusable when the window opens, so
		// the refresh is a (prompt) blocking fetch; with 10s it is in the
		// background.
		{"default MinValidity", 0},
		{"MinValidity 10s", 10 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				var mu sync.Mutex
				var fetchedAt []time.Duration
				c := tokencache.New(tokencache.Options{
					MinValidity: tc.minValidity,
					Fetch: func(context.Context) (*oauth2.Token, error) {
						mu.Lock()
						defer mu.Unlock()
						fetchedAt = append(fetchedAt, time.Since(start))
						return newTok("t"+strconv.Itoa(len(fetchedAt)), 2*time.Minute), nil
					},
				})
				defer c.Close()
				c.Set(newTok("t0", 2*time.Minute))
				for range 600 {
					before := time.Now()
					_, err := c.Token(t.Context())
					require.NoError(t, err)
					require.Zero(t, time.Since(before))
					synctest.Wait()
					time.Sleep(time.Second)
				}
				var want []time.Duration
				for d := 90 * time.Second; d < 600*time.Second; d += 90 * time.Second {
					want = append(want, d)
				}
				mu.Lock()
				defer mu.Unlock()
				assert.Equal(t, want, fetchedAt)
			})
		})
	}
}

func TestShortLifetimeCapsMinValidity(t *testing.T) {
	// A 20s token (shorter than 2*MinValidity) is usable for 10s instead of
	// making every call fetch.
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		c := tokencache.New(tokencache.Options{
			Fetch: func(context.Context) (*oauth2.Token, error) {
				calls.Add(1)
				return newTok("short", 20*time.Second), nil
			},
		})
		defer c.Close()
		for range 10 {
			_, err := c.Token(t.Context())
			require.NoError(t, err)
			time.Sleep(time.Second)
		}
		assert.EqualValues(t, 1, calls.Load())
		_, err := c.Token(t.Context())
		require.NoError(t, err)
		assert.EqualValues(t, 2, calls.Load())
	})
}

func TestZeroExpiryNeverExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		c := tokencache.New(tokencache.Options{
			Fetch: func(context.Context) (*oauth2.Token, error) {
				calls.Add(1)
				return &oauth2.Token{AccessToken: "forever"}, nil
			},
		})
		defer c.Close()
		for range 3 {
			tok, err := c.Token(t.Context())
			require.NoError(t, err)
			assert.Equal(t, "forever", tok.AccessToken)
			time.Sleep(100 * 365 * 24 * time.Hour)
		}
		assert.EqualValues(t, 1, calls.Load())
	})
}

func TestSetAndPeek(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		c := tokencache.New(tokencache.Options{Fetch: gatedFetch(&calls, nil, nil)})
		defer c.Close()
		assert.Nil(t, c.Peek())

		tok := newTok("stored", time.Hour)
		c.Set(tok)
		assert.Same(t, tok, c.Peek())
		got, err := c.Token(t.Context())
		require.NoError(t, err)
		assert.Same(t, tok, got)

		time.Sleep(2 * time.Hour)
		assert.Same(t, tok, c.Peek(), "Peek returns an expired token")

		c.Set(nil)
		assert.Nil(t, c.Peek())
		c.Set(&oauth2.Token{})
		assert.Nil(t, c.Peek())
		assert.Zero(t, calls.Load())
	})
}

func TestFormattingHidesToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := tokencache.New(tokencache.Options{Fetch: gatedFetch(new(atomic.Int32), nil, nil)})
		defer c.Close()
		c.Set(&oauth2.Token{AccessToken: "SECRET-ACCESS", RefreshToken: "SECRET-REFRESH", Expiry: time.Now().Add(time.Hour)})
		var out []string
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			out = append(out, fmt.Sprintf(verb, c))
		}
		out = append(out, c.String())
		var buf bytes.Buffer
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("cache", "c", c)
		slog.New(slog.NewTextHandler(&buf, nil)).Info("cache", "c", c)
		out = append(out, buf.String())
		for _, s := range out {
			assert.NotContains(t, s, "SECRET")
		}
		assert.Equal(t, "tokencache.Cache{valid expiry=2000-01-01T01:00:00Z}", c.String())
	})
}

// TestRaceInvalidate hammers the real-time cache from many goroutines while
// tokens are invalidated; run with -race.
func TestRaceInvalidate(t *testing.T) {
	var calls, inFlight, maxInFlight atomic.Int32
	c := tokencache.New(tokencache.Options{
		Fetch: func(context.Context) (*oauth2.Token, error) {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for {
				m := maxInFlight.Load()
				if n <= m || maxInFlight.CompareAndSwap(m, n) {
					break
				}
			}
			id := calls.Add(1)
			return newTok("tok-"+strconv.Itoa(int(id)), time.Hour), nil
		},
	})
	defer c.Close()

	stop := make(chan struct{})
	var bg sync.WaitGroup
	bg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if tok := c.Peek(); tok != nil {
				c.Invalidate(tok.AccessToken)
			}
			c.Invalidate("tok-0") // never cached
		}
	})

	var wg sync.WaitGroup
	var failures atomic.Int32
	for range 64 {
		wg.Go(func() {
			for range 1000 {
				tok, err := c.Token(context.Background())
				if err != nil || tok == nil || !strings.HasPrefix(tok.AccessToken, "tok-") {
					failures.Add(1)
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	bg.Wait()
	assert.Zero(t, failures.Load())
	assert.EqualValues(t, 1, maxInFlight.Load(), "concurrent fetches")
	t.Logf("%d fetches for 64000 calls", calls.Load())
}

func BenchmarkTokenFastPath(b *testing.B) {
	c := tokencache.New(tokencache.Options{
		Fetch: func(context.Context) (*oauth2.Token, error) { return nil, errBoom },
	})
	defer c.Close()
	c.Set(&oauth2.Token{AccessToken: "x", Expiry: time.Now().Add(time.Hour)})
	ctx := context.Background()

	// The fast path is one clock read plus an atomic load and a compare;
	// this baseline shows what the clock read alone costs on this machine.
	b.Run("baseline time.Now", func(b *testing.B) {
		b.ReportAllocs()
		var sink int64
		for b.Loop() {
			sink += time.Now().UnixNano()
		}
		_ = sink
	})
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Token(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.Token(ctx); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
