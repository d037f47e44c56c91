package netsuite_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/suitekit/netsuite"
	"github.com/suitekit/netsuite/netsuitetest"
)

// fastRetry keeps load tests short: the same rules, small waits.
var fastRetry = &netsuite.RetryPolicy{MaxAttempts: 30, BaseDelay: time.Millisecond, MaxDelay: 40 * time.Millisecond}

// loadRun sends workers × perWorker GETs, each with a unique rid, and
// returns the rids that succeeded and the errors of the others.
func loadRun(t *testing.T, conn *netsuite.Connection, workers, perWorker int) (ok map[string]bool, failed []error) {
	t.Helper()
	ok = map[string]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				rid := fmt.Sprintf("%d-%d", w, i)
				resp, err := conn.Client().Get(conn.BaseURL() + "/services/rest/record/v1/customer/107?rid=" + rid)
				if err == nil {
					err = netsuite.CheckResponse(resp)
					if err == nil {
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
				}
				mu.Lock()
				if err == nil {
					ok[rid] = true
				} else {
					failed = append(failed, err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return ok, failed
}

// answered counts, per rid, the requests the server answered 200.
func answered(srv *netsuitetest.Server) map[string]int {
	n := map[string]int{}
	for _, r := range srv.Requests() {
		if q, _ := url.ParseQuery(r.RawQuery); q.Get("rid") != "" && r.Status == 200 {
			n[q.Get("rid")]++
		}
	}
	return n
}

func assertNoNonceReused(t *testing.T, srv *netsuitetest.Server) {
	t.Helper()
	seen := map[string]bool{}
	for _, r := range srv.Requests() {
		if r.Auth != "tba" {
			continue
		}
		key := r.Nonce + "/" + fmt.Sprint(r.Timestamp)
		require.False(t, seen[key], "nonce %s reused", r.Nonce)
		seen[key] = true
	}
}

// TestLoadWithinTheLimit: 500 goroutines × 4 requests through one
// Connection limited to 5, against an account limited to 5.
func TestLoadWithinTheLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	for _, kind := range []string{"tba", "m2m"} {
		t.Run(kind, func(t *testing.T) {
			srv := netsuitetest.NewServer()
			defer srv.Close()
			srv.SetConcurrencyLimit(5)
			srv.SetLatency(time.Millisecond)
			cfg := srv.Config()
			cfg.Auth = srv.TBA()
			if kind == "m2m" {
				cfg.Auth = srv.ClientCredentials()
			}
			cfg.MaxConcurrent = 5
			cfg.Transport = &http.Transport{MaxIdleConnsPerHost: 5}
			conn, err := netsuite.NewConnection(cfg)
			require.NoError(t, err)
			defer conn.Close()

			ok, failed := loadRun(t, conn, 500, 4)
			assert.Empty(t, failed)
			assert.Len(t, ok, 2000)
			assert.LessOrEqual(t, srv.MaxInFlight(), 5)
			for _, r := range srv.Requests() {
				assert.NotEqual(t, 429, r.Status, "no request went over the limit")
			}
			for rid, n := range answered(srv) {
				assert.Equal(t, 1, n, rid)
			}
			assertNoNonceReused(t, srv)
		})
	}
}

// TestLoadWithoutClientLimit: the same load with no client-side bound:
// NetSuite refuses most of it with 429, and retries carry every request
// through (or it fails with a typed rate-limit error); none is lost, none
// is done twice.
func TestLoadWithoutClientLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	srv := netsuitetest.NewServer()
	defer srv.Close()
	srv.SetConcurrencyLimit(5)
	srv.SetLatency(time.Millisecond)
	cfg := srv.Config()
	cfg.Auth = srv.TBA()
	cfg.Retry = fastRetry
	conn, err := netsuite.NewConnection(cfg)
	require.NoError(t, err)
	defer conn.Close()

	ok, failed := loadRun(t, conn, 500, 4)
	for _, err := range failed {
		assert.True(t, netsuite.IsRateLimited(err), "only typed rate-limit failures: %v", err)
	}
	assert.Equal(t, 2000, len(ok)+len(failed), "nothing lost")
	got := answered(srv)
	for rid := range ok {
		assert.Equal(t, 1, got[rid], "done exactly once: %s", rid)
	}
	assert.Equal(t, len(ok), len(got), "nothing done that the caller was not told about")
	assert.LessOrEqual(t, srv.MaxInFlight(), 5)
	assertNoNonceReused(t, srv)
	t.Logf("succeeded %d, rate-limited %d, requests sent %d", len(ok), len(failed), len(srv.Requests()))
}

func TestRetryReplaysBodyAndResigns(t *testing.T) {
	conn, srv := newTBAConnection(t, fastRetry)
	srv.Inject(netsuitetest.Fault{Status: 429}, netsuitetest.Fault{Status: 429})
	req, _ := http.NewRequest("POST", srv.URL+"/app/site/hosting/restlet.nl?script=1&deploy=1", strings.NewReader(`{"order":42}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := conn.RoundTrip(req)
	require.NoError(t, err)
	require.NoError(t, netsuite.CheckResponse(resp))
	resp.Body.Close()
	reqs := srv.Requests()
	require.Len(t, reqs, 3)
	for _, r := range reqs {
		assert.Equal(t, `{"order":42}`, string(r.Body), "identical body on every attempt")
	}
	assert.Equal(t, []int{429, 429, 200}, []int{reqs[0].Status, reqs[1].Status, reqs[2].Status})
	auth := map[string]bool{}
	for _, r := range reqs {
		auth[r.Header.Get("Authorization")] = true
	}
	assert.Len(t, auth, 3, "a new signature for every attempt")
}

func TestNoRetryWithoutReplayableBody(t *testing.T) {
	conn, srv := newTBAConnection(t, fastRetry)
	srv.Inject(netsuitetest.Fault{Status: 429})
	req, _ := http.NewRequest("POST", srv.URL+"/app/site/hosting/restlet.nl?script=1&deploy=1", nil)
	req.Body = io.NopCloser(strings.NewReader(`{"order":42}`)) // no GetBody
	resp, err := conn.RoundTrip(req)
	require.NoError(t, err)
	err = netsuite.CheckResponse(resp)
	require.Error(t, err)
	assert.True(t, netsuite.IsRateLimited(err))
	assert.Contains(t, err.Error(), "not retried: the request body cannot be sent again: set req.GetBody")
	assert.Len(t, srv.Requests(), 1)
}

func TestIdempotencyRules(t *testing.T) {
	tests := []struct {
		name, method string
		fault        netsuitetest.Fault
		want         int // requests the server sees
		wantErr      bool
	}{
		{"GET after 503", "GET", netsuitetest.Fault{Status: 503}, 2, false},
		{"GET after reset", "GET", netsuitetest.Fault{Reset: true}, 2, false},
		{"POST after 429", "POST", netsuitetest.Fault{Status: 429}, 2, false},
		{"POST after 503: not retried", "POST", netsuitetest.Fault{Status: 503}, 1, false},
		{"POST after reset: not retried", "POST", netsuitetest.Fault{Reset: true}, 1, true},
		{"PATCH after 502: not retried", "PATCH", netsuitetest.Fault{Status: 502}, 1, false},
		{"PUT after 504", "PUT", netsuitetest.Fault{Status: 504}, 2, false},
		{"GET after 500: not retried", "GET", netsuitetest.Fault{Status: 500}, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, srv := newTBAConnection(t, fastRetry)
			srv.Inject(tt.fault)
			req, _ := http.NewRequest(tt.method, srv.URL+"/app/site/hosting/restlet.nl?script=1&deploy=1", strings.NewReader("{}"))
			resp, err := conn.RoundTrip(req)
			if tt.wantErr {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
				resp.Body.Close()
			}
			assert.Len(t, srv.Requests(), tt.want)
		})
	}
}

func TestRetriesExhausted(t *testing.T) {
	conn, srv := newTBAConnection(t, &netsuite.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond})
	srv.FailNext(5, 429, "")
	err := conn.TestConnection(bg)
	require.Error(t, err)
	assert.True(t, netsuite.IsRateLimited(err))
	assert.Contains(t, err.Error(), "3 attempts (1: 429 CONCURRENCY_LIMIT_EXCEEDED; 2: 429 CONCURRENCY_LIMIT_EXCEEDED (after waiting")
	assert.Contains(t, err.Error(), "gave up after 3 attempts")
	assert.Len(t, srv.Requests(), 3)

	conn, srv = newTBAConnection(t, &netsuite.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond})
	srv.Inject(netsuitetest.Fault{Reset: true}, netsuitetest.Fault{Reset: true}, netsuitetest.Fault{Reset: true})
	err = conn.TestConnection(bg)
	var ae *netsuite.AttemptsError
	require.True(t, errors.As(err, &ae), "%v", err)
	assert.Len(t, ae.Attempts, 3)
	assert.Contains(t, err.Error(), "3 attempt(s)")
}

func TestRESTletRateLimitCode(t *testing.T) {
	conn, srv := newTBAConnection(t, fastRetry)
	srv.Inject(netsuitetest.Fault{Status: 400, Body: `{"error":{"code":"SSS_REQUEST_LIMIT_EXCEEDED","message":"Request limit exceeded"}}`})
	resp, err := conn.Client().Get(srv.URL + "/app/site/hosting/restlet.nl?script=1&deploy=1")
	require.NoError(t, err)
	require.NoError(t, netsuite.CheckResponse(resp))
	resp.Body.Close()
	assert.Len(t, srv.Requests(), 2)

	// An ordinary 400 is not retried, and its body reaches the caller whole.
	srv.ResetRequests()
	srv.Inject(netsuitetest.Fault{Status: 400, Body: `{"error":{"code":"INVALID_ARG","message":"bad"}}`})
	resp, err = conn.Client().Get(srv.URL + "/app/site/hosting/restlet.nl?script=1&deploy=1")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, `{"error":{"code":"INVALID_ARG","message":"bad"}}`, string(body))
	assert.Len(t, srv.Requests(), 1)
}

// TestWrongCredentialNoRetryStorm: a wrong credential costs exactly one
// request per call with TBA, two with OAuth 2.0 (the second with a fresh
// token).
func TestWrongCredentialNoRetryStorm(t *testing.T) {
	srv := netsuitetest.NewServer()
	defer srv.Close()
	cfg := srv.Config()
	bad := srv.TBA()
	bad.TokenSecret = "wrong"
	cfg.Auth = bad
	conn, err := netsuite.NewConnection(cfg)
	require.NoError(t, err)
	for range 3 {
		assert.True(t, netsuite.IsAuthFailure(conn.TestConnection(bg)))
	}
	assert.Len(t, srv.Requests(), 3)

	srv.ResetRequests()
	cfg.Auth = srv.ClientCredentials()
	m2m, err := netsuite.NewConnection(cfg)
	require.NoError(t, err)
	defer m2m.Close()
	require.NoError(t, m2m.TestConnection(bg))
	// NetSuite now refuses every token (a deactivated integration, say).
	srv.SetAccessTokenLifetime(time.Nanosecond)
	tok, _ := m2m.TokenSource().Token()
	srv.RevokeAccessToken(tok.AccessToken)
	srv.ResetRequests()
	assert.True(t, netsuite.IsAuthFailure(m2m.TestConnection(bg)))
	api := 0
	for _, r := range srv.Requests() {
		if r.Auth == "bearer" {
			api++
		}
	}
	assert.Equal(t, 2, api, "one retry with a fresh token, no more")
}

func TestBurst401AfterA429(t *testing.T) {
	conn, srv := newTBAConnection(t, fastRetry)
	srv.Inject(netsuitetest.Fault{Status: 429}, netsuitetest.Fault{Status: 401})
	require.NoError(t, conn.TestConnection(bg))
	assert.Len(t, srv.Requests(), 3)

	// Without a recent 429, a 401 is a real credential failure: one request.
	conn2, srv2 := newTBAConnection(t, fastRetry)
	srv2.Inject(netsuitetest.Fault{Status: 401})
	err := conn2.TestConnection(bg)
	assert.True(t, netsuite.IsAuthFailure(err))
	assert.Len(t, srv2.Requests(), 1)

	// Two burst 401s in a row: one retry only, and the error says so.
	conn3, srv3 := newTBAConnection(t, fastRetry)
	srv3.Inject(netsuitetest.Fault{Status: 429}, netsuitetest.Fault{Status: 401}, netsuitetest.Fault{Status: 401})
	err = conn3.TestConnection(bg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "1: 429 CONCURRENCY_LIMIT_EXCEEDED; 2: 401")
	assert.Contains(t, err.Error(), "taken for a burst answer, retried once: this Connection saw a 429")
	assert.Len(t, srv3.Requests(), 3)
}

// TestCancelDuringBackoff: the wait between attempts ends with the caller's
// context, at once, with context.Canceled (and the cause) reachable.
func TestCancelDuringBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := netsuitetest.NewHandler()
		cfg := inMemory(srv)
		cfg.Auth = srv.TBA()
		conn, err := netsuite.NewConnection(cfg)
		require.NoError(t, err)
		srv.Inject(netsuitetest.Fault{Status: 429, Header: http.Header{"Retry-After": {"20"}}})
		cause := errors.New("the job was stopped")
		ctx, cancel := context.WithCancelCause(context.Background())
		time.AfterFunc(time.Second, func() { cancel(cause) })
		start := time.Now()
		err = conn.TestConnection(ctx)
		assert.Equal(t, time.Second, time.Since(start), "returned when cancelled, not after Retry-After")
		assert.ErrorIs(t, err, context.Canceled)
		assert.ErrorIs(t, err, cause)
		assert.Contains(t, err.Error(), "waiting to retry")
	})
}

func TestRetryAfterHonoured(t *testing.T) {
	for _, value := range []string{"7", "DATE"} {
		t.Run(value, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := netsuitetest.NewHandler()
				cfg := inMemory(srv)
				cfg.Auth = srv.TBA()
				conn, err := netsuite.NewConnection(cfg)
				require.NoError(t, err)
				v := value
				if v == "DATE" {
					v = time.Now().Add(7 * time.Second).UTC().Format(http.TimeFormat)
				}
				srv.Inject(netsuitetest.Fault{Status: 503, Header: http.Header{"Retry-After": {v}}})
				start := time.Now()
				require.NoError(t, conn.TestConnection(context.Background()))
				assert.InDelta(t, 7, time.Since(start).Seconds(), 1)
			})
		})
	}
	t.Run("capped", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			srv := netsuitetest.NewHandler()
			cfg := inMemory(srv)
			cfg.Auth = srv.TBA()
			cfg.Retry = &netsuite.RetryPolicy{MaxDelay: 5 * time.Second}
			conn, err := netsuite.NewConnection(cfg)
			require.NoError(t, err)
			srv.Inject(netsuitetest.Fault{Status: 429, Header: http.Header{"Retry-After": {"3600"}}})
			start := time.Now()
			require.NoError(t, conn.TestConnection(context.Background()))
			assert.Equal(t, 5*time.Second, time.Since(start))
		})
	})
}

func TestLimiterWaitHonoursContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := netsuitetest.NewHandler()
		srv.SetLatency(time.Minute)
		cfg := inMemory(srv)
		cfg.Auth = srv.TBA()
		cfg.Limiter = netsuite.NewLimiter(1)
		conn, err := netsuite.NewConnection(cfg)
		require.NoError(t, err)
		go conn.TestConnection(context.Background()) // holds the one slot for a minute
		synctest.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		err = conn.TestConnection(ctx)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Contains(t, err.Error(), "concurrency limit")
		time.Sleep(2 * time.Minute) // let the first request finish
	})
}

func TestSharedLimiter(t *testing.T) {
	srv := netsuitetest.NewServer()
	defer srv.Close()
	srv.SetLatency(2 * time.Millisecond)
	limiter := netsuite.NewLimiter(3)
	var conns []*netsuite.Connection
	for _, auth := range []netsuite.Authenticator{srv.TBA(), srv.ClientCredentials()} {
		cfg := srv.Config()
		cfg.Auth = auth
		cfg.Limiter = limiter
		conn, err := netsuite.NewConnection(cfg)
		require.NoError(t, err)
		defer conn.Close()
		conns = append(conns, conn)
	}
	var wg sync.WaitGroup
	var failures atomic.Int32
	for i := range 60 {
		wg.Go(func() {
			if conns[i%2].TestConnection(bg) != nil {
				failures.Add(1)
			}
		})
	}
	wg.Wait()
	assert.Zero(t, failures.Load())
	assert.LessOrEqual(t, srv.MaxInFlight(), 3)
	assert.Equal(t, 3, limiter.Limit())
}

func TestTestConnectionDefaultDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hang := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
		conn, err := netsuite.NewConnection(netsuite.Config{BaseURL: "http://127.0.0.1:9", AccountID: "1",
			Auth: testTBA, Transport: handlerTransport{hang}})
		require.NoError(t, err)
		start := time.Now()
		err = conn.TestConnection(context.Background())
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, netsuite.DefaultTestTimeout, time.Since(start))
	})
}

func TestRetrySettingsRejected(t *testing.T) {
	for _, cfg := range []netsuite.Config{
		{Limiter: &netsuite.Limiter{}},
		{Retry: &netsuite.RetryPolicy{MaxAttempts: -1}},
		{Retry: &netsuite.RetryPolicy{BaseDelay: -time.Second}},
		{Retry: &netsuite.RetryPolicy{MaxDelay: -1}},
		{MaxConcurrent: -1},
	} {
		cfg.AccountID, cfg.Auth = "1", testTBA
		_, err := netsuite.NewConnection(cfg)
		assert.ErrorIs(t, err, netsuite.ErrInvalidConfig, "%+v", cfg.Retry)
	}
	conn, srv := newTBAConnection(t, netsuite.NoRetry)
	srv.Inject(netsuitetest.Fault{Status: 429})
	err := conn.TestConnection(bg)
	assert.ErrorContains(t, err, "not retried: retries are off")
}
