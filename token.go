package netsuite

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// maxTokenBody caps how much of a token endpoint's answer is read.
const maxTokenBody = 64 << 10

// tokenCall is one request to an OAuth 2.0 token (or revoke) endpoint.
type tokenCall struct {
	client    *http.Client
	endpoint  string
	form      url.Values
	userAgent string
	// basicUser and basicPassword, when basicUser is set, authenticate a
	// confidential client with HTTP Basic (and nothing else).
	basicUser, basicPassword string
	// hint explains a failure; it gets the parsed error.
	hint func(*TokenError) string
}

// post sends the call and returns the response body of a 2xx answer, or a
// *TokenError.
func (tc *tokenCall) post(ctx context.Context) ([]byte, error) {
	grant := tc.form.Get("grant_type")
	fail := func(e *TokenError) error {
		e.Endpoint, e.GrantType = tc.endpoint, grant
		if tc.hint != nil && e.Hint == "" {
			e.Hint = tc.hint(e)
		}
		tc.scrub(e)
		return e
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tc.endpoint, strings.NewReader(tc.form.Encode()))
	if err != nil {
		return nil, fail(&TokenError{Err: err})
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", tc.userAgent)
	if tc.basicUser != "" {
		// RFC 6749 §2.3.1: form-encode each part before Basic encoding.
		req.SetBasicAuth(url.QueryEscape(tc.basicUser), url.QueryEscape(tc.basicPassword))
	}
	resp, err := tc.client.Do(req)
	if err != nil {
		return nil, fail(&TokenError{Err: unwrapURLError(err)})
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenBody))
	if err != nil {
		return nil, fail(&TokenError{StatusCode: resp.StatusCode, Status: statusLine(resp), Err: err})
	}
	e := &TokenError{StatusCode: resp.StatusCode, Status: statusLine(resp)}
	var doc struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	isJSON := json.Unmarshal(body, &doc) == nil
	e.ErrorCode, e.Description = doc.Error, doc.Description
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		e.Hint = "the token endpoint answered with a redirect, which is never followed (it could carry " +
			"credentials elsewhere); check the token URL: " + resp.Header.Get("Location")
		return nil, fail(e)
	case resp.StatusCode < 200 || resp.StatusCode > 299 || doc.Error != "":
		if !isJSON || doc.Error == "" {
			e.Excerpt = excerpt(tc.maskSent(body))
		}
		return nil, fail(e)
	}
	return body, nil
}

// sentCredentials are the form fields whose values are credentials.
var sentCredentials = []string{"client_assertion", "assertion", "client_secret", "code", "code_verifier",
	"refresh_token", "token"}

// minMasked is the shortest sent value that is masked: a real credential is
// longer, and masking a short one would only garble the message.
const minMasked = 8

// secretForms returns the credentials this call sends, in every form an
// endpoint or a proxy echoing the request could show them: as sent (form
// encoded, inside the Basic header), decoded, and JSON or HTML escaped.
func (tc *tokenCall) secretForms() []string {
	var values []string
	for _, name := range sentCredentials {
		values = append(values, tc.form[name]...)
	}
	if tc.basicUser != "" {
		values = append(values, tc.basicPassword, base64.StdEncoding.EncodeToString(
			[]byte(url.QueryEscape(tc.basicUser)+":"+url.QueryEscape(tc.basicPassword))))
	}
	var forms []string
	for _, v := range values {
		if len(v) < minMasked {
			continue
		}
		j, _ := json.Marshal(v)
		for _, f := range []string{v, url.QueryEscape(v), string(j[1 : len(j)-1]), html.EscapeString(v)} {
			if !slices.Contains(forms, f) {
				forms = append(forms, f)
			}
		}
	}
	// Longest first, so that a form containing another is masked whole.
	slices.SortFunc(forms, func(a, b string) int { return len(b) - len(a) })
	return forms
}

// maskSent replaces the credentials this call sent wherever body repeats
// them (a proxy's error page echoing the request). Only for bodies that
// become error text: a token response may legitimately repeat a refresh
// token.
func (tc *tokenCall) maskSent(body []byte) []byte {
	for _, f := range tc.secretForms() {
		body = bytes.ReplaceAll(body, []byte(f), []byte("[redacted]"))
	}
	return body
}

// scrub masks the credentials this call sent in the parts of e that come
// from the response (error, error_description, excerpt, a redirect's
// Location in the hint), e.g. an expires_in that echoes the request.
func (tc *tokenCall) scrub(e *TokenError) {
	for _, f := range tc.secretForms() {
		for _, s := range []*string{&e.ErrorCode, &e.Description, &e.Excerpt, &e.Hint} {
			*s = strings.ReplaceAll(*s, f, "[redacted]")
		}
	}
}

// unwrapURLError drops http.Client's *url.Error wrapper, whose message
// repeats the URL we already name.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// tokenResponse is a token endpoint's success answer (RFC 6749 §5.1),
// parsed leniently: expires_in may be a number or a string.
type tokenResponse struct {
	AccessToken  string     `json:"access_token"`
	TokenType    string     `json:"token_type"`
	RefreshToken string     `json:"refresh_token"`
	ExpiresIn    flexSecond `json:"expires_in"`
	Scope        string     `json:"scope"`
}

// flexSecond is a number of seconds sent as a JSON number or string.
type flexSecond int64

func (f *flexSecond) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(bytes.TrimSpace(b)), `"`)
	if s == "" || s == "null" {
		*f = 0
		return nil
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n < 0 || n > 1e9 {
		return fmt.Errorf("expires_in %q is not a number of seconds", s)
	}
	*f = flexSecond(n)
	return nil
}

// parseToken turns a 2xx token endpoint body into an oauth2.Token whose
// expiry counts from start (the time the request was sent, so the expiry is
// never later than NetSuite's). The raw fields are kept as Extra.
func parseToken(body []byte, start time.Time, tc *tokenCall) (*oauth2.Token, error) {
	bad := func(problem string) error {
		e := &TokenError{Endpoint: tc.endpoint, GrantType: tc.form.Get("grant_type"), Status: "2xx",
			Description: problem, Excerpt: excerpt(tc.maskSent(body))}
		if tc.hint != nil {
			e.Hint = tc.hint(e)
		}
		tc.scrub(e)
		return e
	}
	var r tokenResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, bad("the answer is not a token response: " + err.Error())
	}
	if r.AccessToken == "" {
		return nil, bad("the answer has no access_token")
	}
	if r.TokenType != "" && !strings.EqualFold(r.TokenType, "bearer") {
		return nil, bad("token_type is " + strconv.Quote(r.TokenType) + ", not bearer")
	}
	var raw map[string]any
	json.Unmarshal(body, &raw)
	tok := &oauth2.Token{AccessToken: r.AccessToken, TokenType: "Bearer", RefreshToken: r.RefreshToken}
	if r.ExpiresIn > 0 {
		tok.ExpiresIn = int64(r.ExpiresIn)
		tok.Expiry = start.Add(time.Duration(r.ExpiresIn) * time.Second)
	}
	return tok.WithExtra(raw), nil
}

// exchange posts the call and parses the token.
func (tc *tokenCall) exchange(ctx context.Context) (*oauth2.Token, error) {
	start := time.Now()
	body, err := tc.post(ctx)
	if err != nil {
		return nil, err
	}
	return parseToken(body, start, tc)
}
