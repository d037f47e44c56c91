package netsuite

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/suitekit/netsuite/internal/authheader"
)

// Sentinel errors. Test for them with errors.Is.
var (
	// ErrInvalidConfig is matched by every *ConfigError.
	ErrInvalidConfig = errors.New("netsuite: invalid configuration")

	// ErrUntrustedHost is returned by Connection.RoundTrip for a request
	// to a host that is not one of the account's own: the request is not
	// sent and carries no credentials. It stops the classic leak where a
	// redirect to another host carries the Authorization header.
	ErrUntrustedHost = errors.New("netsuite: untrusted host")
)

// Login Audit Trail, where NetSuite records why a login failed.
const loginAuditTrail = "Setup > Users/Roles > User Management > View Login Audit Trail"

// ConfigError reports an invalid setting: which field, what was wrong, and
// what is accepted. It never contains a secret value.
type ConfigError struct {
	Field    string // e.g. "Config.BaseURL", "TBA.TokenSecret"
	Problem  string // what is wrong
	Accepted string // what would be accepted, if there is more to say
	Err      error  // underlying error, if any
}

// Error implements error.
func (e *ConfigError) Error() string {
	msg := "netsuite: invalid " + e.Field + ": " + e.Problem
	if e.Accepted != "" {
		msg += " (" + e.Accepted + ")"
	}
	return msg
}

// Is makes errors.Is(err, ErrInvalidConfig) true.
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

// Unwrap returns the underlying error.
func (e *ConfigError) Unwrap() error { return e.Err }

// withField returns a copy of err relabelled to field, if it is a ConfigError.
func withField(err error, field string) error {
	var ce *ConfigError
	if errors.As(err, &ce) {
		c := *ce
		c.Field = field
		return &c
	}
	return err
}

// Error is a NetSuite REST or RESTlet error response: anything but 2xx.
type Error struct {
	Method     string // request method
	Path       string // request path, without the query
	StatusCode int    // e.g. 401
	Status     string // status code and reason phrase, e.g. "401 Unauthorized"

	Title   string        // "title" of the error body
	Details []ErrorDetail // "o:errorDetails" of the error body

	// AuthError and AuthErrorDescription are the error and
	// error_description of the WWW-Authenticate header (401 answers).
	AuthError            string
	AuthErrorDescription string

	// Excerpt is the start of a body that is not a NetSuite error document
	// (an HTML maintenance page, a proxy's answer), with anything that looks
	// like a credential masked.
	Excerpt string

	// Hint says where to look next.
	Hint string

	// Attempts lists the tries when the Connection retried (429s, 503s…),
	// the last one being this answer; NotRetried says why the Connection
	// did not try again, when it could have.
	Attempts   []Attempt
	NotRetried string
}

// ErrorDetail is one entry of a NetSuite error body's "o:errorDetails".
type ErrorDetail struct {
	Detail     string `json:"detail"`
	Code       string `json:"o:errorCode"`
	Path       string `json:"o:errorPath,omitempty"`
	QueryParam string `json:"o:errorQueryParam,omitempty"`
	Header     string `json:"o:errorHeader,omitempty"`
}

// Code returns the first o:errorCode, e.g. INVALID_LOGIN, or "".
func (e *Error) Code() string {
	for _, d := range e.Details {
		if d.Code != "" {
			return d.Code
		}
	}
	return ""
}

// Error implements error: status and reason phrase, NetSuite's code and
// detail, the WWW-Authenticate error, and the hint.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("netsuite: ")
	if e.Method != "" {
		b.WriteString(e.Method + " " + e.Path + ": ")
	}
	b.WriteString(e.Status)
	for _, d := range e.Details {
		b.WriteString(": ")
		if d.Code != "" {
			b.WriteString(d.Code + ": ")
		}
		b.WriteString(strings.TrimSpace(d.Detail))
		for _, f := range [][2]string{{"path", d.Path}, {"query parameter", d.QueryParam}, {"header", d.Header}} {
			if f[1] != "" {
				b.WriteString(" [" + f[0] + " " + f[1] + "]")
			}
		}
	}
	if len(e.Details) == 0 && e.Title != "" && !strings.HasSuffix(e.Status, e.Title) {
		b.WriteString(": " + e.Title)
	}
	if e.AuthError != "" {
		b.WriteString(" (WWW-Authenticate: error=" + e.AuthError)
		if e.AuthErrorDescription != "" {
			b.WriteString(", " + e.AuthErrorDescription)
		}
		b.WriteString(")")
	}
	if e.Excerpt != "" {
		b.WriteString(": body: " + e.Excerpt)
	}
	if len(e.Attempts) > 1 {
		b.WriteString(fmt.Sprintf("; %d attempts (%s)", len(e.Attempts), describeAttempts(e.Attempts)))
	}
	if e.NotRetried != "" {
		b.WriteString("; not retried: " + e.NotRetried)
	}
	if e.Hint != "" {
		hint := e.Hint
		if strings.Contains(b.String(), loginAuditTrail) { // NetSuite's detail named it already
			hint = strings.Replace(hint, ": "+loginAuditTrail, " (path above)", 1)
		}
		b.WriteString("; hint: " + hint)
	}
	return b.String()
}

// maxErrorBody caps how much of an error response is read.
const maxErrorBody = 64 << 10

// CheckResponse returns nil for a 2xx response. Otherwise it reads (at most
// 64 KiB of) and closes resp.Body and returns an *Error describing it. Use it
// on responses to your own requests through a Connection.
func CheckResponse(resp *http.Response) error {
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return nil
	}
	return newError(resp, Account{})
}

// newError builds an *Error from a non-2xx response and closes its body.
// The account, when known, tailors the hint.
func newError(resp *http.Response, acct Account) *Error {
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &Error{StatusCode: resp.StatusCode, Status: statusLine(resp)}
	if sb, ok := resp.Body.(*sentBody); ok {
		e.Attempts, e.NotRetried = sb.attempts, sb.notRetried
	}
	if resp.Request != nil && resp.Request.URL != nil {
		e.Method, e.Path = resp.Request.Method, resp.Request.URL.EscapedPath()
		if e.Method == "" {
			e.Method = http.MethodGet
		}
	}
	if !parseErrorBody(body, e) {
		e.Excerpt = excerpt(body)
	}
	if c, err := authheader.Parse(resp.Header.Get("WWW-Authenticate")); err == nil {
		e.AuthError, _ = c.Get("error")
		e.AuthErrorDescription, _ = c.Get("error_description")
	}
	e.Hint = restHint(e, acct)
	return e
}

// statusLine returns "401 Unauthorized", using the reason phrase sent.
func statusLine(resp *http.Response) string {
	if s := strings.TrimSpace(resp.Status); s != "" && strings.HasPrefix(s, fmt.Sprint(resp.StatusCode)) {
		if len(s) > 3 {
			return s
		}
	}
	if text := http.StatusText(resp.StatusCode); text != "" {
		return fmt.Sprintf("%d %s", resp.StatusCode, text)
	}
	return fmt.Sprintf("%d", resp.StatusCode)
}

// errorBody is NetSuite's REST error document.
type errorBody struct {
	Type    string        `json:"type"`
	Title   string        `json:"title"`
	Status  json.Number   `json:"status"`
	Details []ErrorDetail `json:"o:errorDetails"`
	// RESTlets answer {"error":{"code":…,"message":…}}.
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// parseErrorBody fills e from a NetSuite error document and reports whether
// body was one.
func parseErrorBody(body []byte, e *Error) bool {
	var doc errorBody
	if len(body) == 0 || json.Unmarshal(body, &doc) != nil {
		return false
	}
	e.Title = doc.Title
	for _, d := range doc.Details {
		if d != (ErrorDetail{}) {
			e.Details = append(e.Details, d)
		}
	}
	if doc.Error != nil && (doc.Error.Code != "" || doc.Error.Message != "") {
		e.Details = append(e.Details, ErrorDetail{Code: doc.Error.Code, Detail: doc.Error.Message})
	}
	return e.Title != "" || len(e.Details) > 0
}

// excerpt returns the start of a body, on one line, credentials masked.
func excerpt(body []byte) string {
	const max = 200
	s := string(body)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "?")
	}
	s = strings.Join(strings.Fields(s), " ")
	s = Redact(s)
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}

// credentialPattern finds things in a response body that look like the
// credentials we send, in case a proxy echoes the request back.
var credentialPattern = regexp.MustCompile(`(?i)(oauth_(?:signature|token|consumer_key|nonce)\s*=\s*\\?"?|bearer\s+|basic\s+|\\?"?(?:access_token|refresh_token|id_token|client_secret|client_assertion|code_verifier|assertion|password|code|token)\\?"?\s*[:=]\s*\\?"?)[^\s"\\,&}<]+`)

// Redact masks values that look like credentials (OAuth 1.0 header fields,
// bearer and basic credentials, tokens, assertions, secrets) in s. It is
// applied to every body excerpt this package puts into an error.
func Redact(s string) string {
	return credentialPattern.ReplaceAllString(s, "${1}[redacted]")
}

// restHint says where to look next for a REST error.
func restHint(e *Error, acct Account) string {
	var hints []string
	switch {
	case isRateLimitCode(e.Code()) || e.StatusCode == http.StatusTooManyRequests:
		hints = append(hints, "the account's concurrency limit was reached: bound the requests in flight "+
			"(Config.MaxConcurrent, or one Limiter shared by the account's Connections) and let the Connection retry (Config.Retry)")
	case e.StatusCode == http.StatusUnauthorized:
		hints = append(hints, "NetSuite does not say why a login failed; the reason is in the Login Audit Trail: "+
			loginAuditTrail+". Common causes: a wrong or revoked token or consumer key/secret, "+
			"a realm that is not the account ID, a clock more than 5 minutes off, an expired access token")
	case e.StatusCode == http.StatusForbidden:
		hints = append(hints, "authenticated, but not allowed: give the role the REST Web Services permission "+
			"(Setup > Users/Roles > Manage Roles > Permissions > Setup) and make sure the integration "+
			"record has the REST web services scope")
	case e.StatusCode == http.StatusNotFound && strings.HasSuffix(e.Path, metadataCatalogPath):
		hints = append(hints, "the metadata catalog was not found: check the Base URL, and that REST web "+
			"services are enabled (Setup > Company > Enable Features > SuiteCloud)")
	case e.StatusCode >= 500:
		hints = append(hints, "NetSuite (or a proxy in front of it) failed; retry later, and check "+
			"status.netsuite.com for maintenance")
	}
	if e.StatusCode == http.StatusUnauthorized && acct.IsSandbox() {
		hints = append(hints, sandboxHint(acct))
	}
	return strings.Join(hints, "; ")
}

func sandboxHint(acct Account) string {
	return acct.ID() + " is a sandbox or release preview account: tokens and OAuth 2.0 grants are not " +
		"copied into sandboxes (a sandbox refresh removes them); create them in the sandbox itself"
}

func isRateLimitCode(code string) bool {
	return code == "CONCURRENCY_LIMIT_EXCEEDED" || code == "SSS_REQUEST_LIMIT_EXCEEDED"
}

// IsAuthFailure reports whether err is an authentication failure: a 401
// from NetSuite, or a token endpoint's refusal of the credentials.
func IsAuthFailure(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.StatusCode == http.StatusUnauthorized
	}
	var te *TokenError
	return errors.As(err, &te) && te.isAuthFailure()
}

// IsPermission reports whether err is a 403: authenticated, but the role or
// scope does not allow the request.
func IsPermission(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode == http.StatusForbidden
}

// IsRateLimited reports whether err is NetSuite's concurrency governance:
// 429, CONCURRENCY_LIMIT_EXCEEDED, or a RESTlet's SSS_REQUEST_LIMIT_EXCEEDED.
func IsRateLimited(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.StatusCode == http.StatusTooManyRequests || isRateLimitCode(e.Code()))
}

// TokenError is a failed call to an OAuth 2.0 token or revoke endpoint.
type TokenError struct {
	Endpoint   string // the URL called
	GrantType  string // grant_type sent, e.g. client_credentials
	StatusCode int    // 0 when no response arrived
	Status     string // status code and reason phrase

	// ErrorCode and Description are RFC 6749 §5.2 "error" and
	// "error_description".
	ErrorCode   string
	Description string

	// Excerpt is the start of a body that was not an RFC 6749 error, with
	// credentials masked.
	Excerpt string

	// Hint says what to check next.
	Hint string

	// Err is the underlying error (transport failure, context), if any.
	Err error
}

// Error implements error.
func (e *TokenError) Error() string {
	var b strings.Builder
	b.WriteString("netsuite: token request")
	if e.GrantType != "" {
		b.WriteString(" (" + e.GrantType + ")")
	}
	b.WriteString(" to " + e.Endpoint + " failed")
	if e.Status != "" {
		b.WriteString(": " + e.Status)
	}
	if e.ErrorCode != "" {
		b.WriteString(": " + e.ErrorCode)
	}
	if e.Description != "" {
		b.WriteString(": " + e.Description)
	}
	if e.Excerpt != "" {
		b.WriteString(": body: " + e.Excerpt)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	if e.Hint != "" {
		b.WriteString("; hint: " + e.Hint)
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *TokenError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrReauthorize) true for a refresh token that
// NetSuite refused (invalid_grant).
func (e *TokenError) Is(target error) bool {
	return target == ErrReauthorize && e.GrantType == "refresh_token" && e.ErrorCode == "invalid_grant"
}

func (e *TokenError) isAuthFailure() bool {
	switch e.ErrorCode {
	case "invalid_client", "invalid_grant", "unauthorized_client":
		return true
	}
	return e.StatusCode == http.StatusUnauthorized
}

// wrapError adds context to an error without repeating the "netsuite: "
// prefix of an inner error; errors.Is and errors.As see through it.
type wrapError struct {
	context string
	err     error
}

func (w *wrapError) Error() string {
	return "netsuite: " + w.context + ": " + strings.TrimPrefix(w.err.Error(), "netsuite: ")
}

func (w *wrapError) Unwrap() error { return w.err }

// wrap returns err with context, e.g. wrap(err, "test connection").
func wrap(err error, context string) error { return &wrapError{context: context, err: err} }
