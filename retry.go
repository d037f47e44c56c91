package netsuite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// RetryPolicy says how a Connection retries what NetSuite's concurrency
// governance refuses and what fails on the way. Retried: 429 and NetSuite's
// concurrency error codes (any method: NetSuite refuses those before doing
// any work), and — for idempotent methods only (GET, HEAD, OPTIONS, PUT,
// DELETE) — 502, 503, 504, connection resets and timeouts. A POST or PATCH
// is never sent again after a timeout or a reset in the middle of the
// exchange. A request whose body cannot be replayed (no GetBody) is never
// sent twice. Every attempt is authenticated anew.
type RetryPolicy struct {
	// MaxAttempts counts the first attempt: 1 switches retries off.
	// Default 4.
	MaxAttempts int
	// BaseDelay is the first backoff; each retry doubles it, up to
	// MaxDelay, and waits a random time up to it (full jitter). Default
	// 500ms.
	BaseDelay time.Duration
	// MaxDelay caps one wait, including a Retry-After. Default 30s.
	MaxDelay time.Duration
	// NoJitter waits the full backoff instead of a random part of it.
	NoJitter bool
}

// DefaultRetryPolicy is used when Config.Retry is nil.
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 4, BaseDelay: 500 * time.Millisecond, MaxDelay: 30 * time.Second}

// NoRetry switches retries off: Config{Retry: netsuite.NoRetry}.
var NoRetry = &RetryPolicy{MaxAttempts: 1}

// burstWindow is how long after a 429 a TBA 401 is taken for NetSuite's
// misleading burst answer and retried once.
const burstWindow = 10 * time.Second

// check refuses negative settings.
func (p RetryPolicy) check() error {
	for _, f := range []struct {
		name string
		neg  bool
	}{{"MaxAttempts", p.MaxAttempts < 0}, {"BaseDelay", p.BaseDelay < 0}, {"MaxDelay", p.MaxDelay < 0}} {
		if f.neg {
			return &ConfigError{Field: "Config.Retry." + f.name, Problem: "it is negative",
				Accepted: "0 for the default, or a positive value; netsuite.NoRetry switches retries off"}
		}
	}
	return nil
}

// withDefaults fills the zero fields.
func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultRetryPolicy.MaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = DefaultRetryPolicy.BaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultRetryPolicy.MaxDelay
	}
	return p
}

// backoff returns the wait before retry number n (1 for the first retry).
func (p RetryPolicy) backoff(n int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, p.MaxDelay)
	}
	d := p.MaxDelay
	if n < 32 {
		d = min(p.BaseDelay<<(n-1), p.MaxDelay)
	}
	if p.NoJitter || d <= 0 {
		return d
	}
	return rand.N(d + 1)
}

// Attempt is one try of a request, as reported in errors.
type Attempt struct {
	Status int           // HTTP status, or 0 when no response came
	Code   string        // NetSuite's error code, when it was read (rate limits)
	Err    error         // the transport error, when no response came
	Waited time.Duration // the wait before this attempt
	Note   string        // why it was retried, when that is not obvious
}

// String describes the attempt: its status and code, or its error.
func (a Attempt) String() string {
	var s string
	switch {
	case a.Err != nil:
		s = a.Err.Error()
	case a.Code != "":
		s = fmt.Sprintf("%d %s", a.Status, a.Code)
	default:
		s = fmt.Sprintf("%d %s", a.Status, http.StatusText(a.Status))
	}
	if a.Waited > 0 {
		s += fmt.Sprintf(" (after waiting %s)", a.Waited.Round(time.Millisecond))
	}
	if a.Note != "" {
		s += " [" + a.Note + "]"
	}
	return s
}

// AttemptsError is returned when every attempt of a request failed without
// a response (resets, timeouts), or when the caller's context ended while
// waiting between attempts or for a concurrency slot.
type AttemptsError struct {
	Method, Path string
	Attempts     []Attempt
	Err          error // the last error
}

// Error implements error.
func (e *AttemptsError) Error() string {
	return fmt.Sprintf("netsuite: %s %s: %d attempt(s) (%s): %s", e.Method, e.Path, len(e.Attempts),
		describeAttempts(e.Attempts), strings.TrimPrefix(e.Err.Error(), "netsuite: "))
}

// Unwrap returns the last error.
func (e *AttemptsError) Unwrap() error { return e.Err }

func describeAttempts(as []Attempt) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = strconv.Itoa(i+1) + ": " + a.String()
	}
	return strings.Join(parts, "; ")
}

// send runs the attempts of req: limiter, authentication, the base
// transport, and the retry decisions.
func (c *Connection) send(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	body := req.Body
	var first [1]Attempt // no allocation for the usual single attempt
	history := first[:0]
	var wait time.Duration
	burstRetried, tokenRetried := false, false
	for n := 1; ; n++ {
		release, err := c.acquire(ctx)
		if err != nil {
			closeBody(body)
			return nil, c.attemptsError(req, history, err)
		}
		resp, sent, err := c.attempt(req, body)
		if resp == nil {
			release()
		}
		a := Attempt{Err: err, Waited: wait}
		if resp != nil {
			a.Status = resp.StatusCode
			a.Code = rateLimitCode(resp)
		}
		history = append(history, a)
		if err != nil {
			var af *authFailure
			if errors.As(err, &af) {
				return nil, af.err
			}
		}
		var retry bool
		var notRetried string
		switch {
		case a.Code != "" || a.Status == http.StatusTooManyRequests:
			c.state.last429.Store(time.Now().UnixNano())
			retry = true
		case a.Status == http.StatusUnauthorized:
			retry, tokenRetried, burstRetried, history[n-1].Note = c.retry401(sent, tokenRetried, burstRetried)
		case a.Status == http.StatusBadGateway || a.Status == http.StatusServiceUnavailable || a.Status == http.StatusGatewayTimeout:
			retry = idempotent(req.Method)
			if !retry {
				notRetried = req.Method + " is not idempotent, and NetSuite may have done the work before failing"
			}
		case err != nil:
			retry = retryableError(ctx, err) && idempotent(req.Method)
		}
		if retry && n >= c.retry.MaxAttempts {
			retry, notRetried = false, fmt.Sprintf("gave up after %d attempts (Config.Retry.MaxAttempts)", n)
			if c.retry.MaxAttempts == 1 {
				notRetried = "retries are off (Config.Retry.MaxAttempts is 1)"
			}
		}
		if retry {
			if body, retry = replayBody(req); !retry {
				notRetried = "the request body cannot be sent again: set req.GetBody (http.NewRequest does for bytes, strings and bytes.Buffer bodies)"
			}
		}
		if !retry {
			if resp == nil {
				if len(history) == 1 {
					return nil, err
				}
				return nil, c.attemptsError(req, history, err)
			}
			resp.Request = req // not the signed clone: its Authorization header stays inside
			return c.finish(resp, release, history, notRetried), nil
		}
		wait = c.retry.backoff(n, retryAfter(resp))
		if resp != nil {
			drain(resp)
			release()
		}
		if err := sleep(ctx, wait); err != nil {
			closeBody(body)
			return nil, c.attemptsError(req, history, err)
		}
	}
}

// retry401 decides about a 401: with OAuth 2.0 the rejected token is
// dropped and the request sent once more with a fresh one; with TBA only
// the burst 401 NetSuite sends right after a 429 is retried, once.
func (c *Connection) retry401(sent *http.Request, tokenRetried, burstRetried bool) (retry, tokenDone, burstDone bool, note string) {
	if inv, ok := c.auth.(tokenInvalidator); ok {
		if inv.invalidate(sent) && !tokenRetried {
			return true, true, burstRetried, "the token was dropped; retried once with a fresh one"
		}
		return false, tokenRetried, burstRetried, ""
	}
	last := c.state.last429.Load()
	if ago := time.Since(time.Unix(0, last)); !burstRetried && last != 0 && ago < burstWindow {
		return true, tokenRetried, true, fmt.Sprintf("taken for a burst answer, retried once: this Connection saw a 429 %s before",
			ago.Round(time.Millisecond))
	}
	return false, tokenRetried, burstRetried, ""
}

// finish returns the final response; its body releases the concurrency
// slot when closed and carries the attempts for CheckResponse.
func (c *Connection) finish(resp *http.Response, release func(), history []Attempt, notRetried string) *http.Response {
	if c.limiter == nil && len(history) == 1 && notRetried == "" {
		return resp
	}
	resp.Body = &sentBody{ReadCloser: resp.Body, release: release, attempts: slices.Clone(history), notRetried: notRetried}
	return resp
}

// sentBody is a response body that knows how the response was obtained.
type sentBody struct {
	io.ReadCloser
	release    func()
	attempts   []Attempt
	notRetried string
}

func (b *sentBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.release()
	}
	return n, err
}

func (b *sentBody) Close() error {
	b.release()
	return b.ReadCloser.Close()
}

// attemptsError wraps the final error with the history.
func (c *Connection) attemptsError(req *http.Request, history []Attempt, err error) error {
	if len(history) == 0 {
		return err // nothing was sent: waiting for a slot ended
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	return &AttemptsError{Method: method, Path: req.URL.EscapedPath(), Attempts: slices.Clone(history), Err: err}
}

// idempotent reports whether a method may be sent twice.
func idempotent(method string) bool {
	switch method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete, http.MethodTrace:
		return true
	}
	return false
}

// retryableError reports a transport failure worth another attempt: a reset
// connection, a connection closed before the answer, a timeout — not the
// caller's own context ending.
func retryableError(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		return false
	}
	var ne net.Error
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		(errors.As(err, &ne) && ne.Timeout())
}

// rateLimitCode returns NetSuite's concurrency error code when resp is one:
// a 429, or a RESTlet's 400 SSS_REQUEST_LIMIT_EXCEEDED. It peeks at small
// 400 bodies and puts back what it read.
func rateLimitCode(resp *http.Response) string {
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusBadRequest {
		return ""
	}
	peek, err := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(peek), resp.Body), resp.Body}
	if err != nil {
		return ""
	}
	for _, code := range []string{"CONCURRENCY_LIMIT_EXCEEDED", "SSS_REQUEST_LIMIT_EXCEEDED"} {
		if bytes.Contains(peek, []byte(code)) {
			return code
		}
	}
	return ""
}

// maxRetryAfter bounds a Retry-After before the policy's MaxDelay applies.
const maxRetryAfter = time.Hour

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(resp *http.Response) time.Duration {
	if resp == nil {
		return 0
	}
	v := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		return min(time.Duration(max(s, 0))*time.Second, maxRetryAfter)
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(time.Until(t), 0), maxRetryAfter)
	}
	return 0
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctxErr(ctx, "waiting to retry")
	}
}

// ctxErr reports that a wait ended with ctx; errors.Is finds both
// ctx.Err() and context.Cause(ctx).
func ctxErr(ctx context.Context, what string) error {
	err, cause := ctx.Err(), context.Cause(ctx)
	if cause == nil || cause == err {
		return fmt.Errorf("netsuite: %s: %w", what, err)
	}
	return fmt.Errorf("netsuite: %s: %w: %w", what, err, cause)
}
