package netsuitetest

import (
	"crypto/hmac"
	"encoding/base64"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/suitekit/netsuite/internal/authheader"
	"github.com/suitekit/netsuite/internal/oauth1"
)

// TimestampWindow is how far oauth_timestamp may be from the server's clock.
const TimestampWindow = 5 * time.Minute

// nonceKey identifies a used (token, nonce, timestamp).
type nonceKey struct {
	token, nonce string
	timestamp    int64
}

// verifyTBA checks an OAuth 1.0a Authorization header the way NetSuite does
// and returns why it fails, or "".
func (s *Server) verifyTBA(r *http.Request, header string, rec *Request) string {
	c, err := authheader.Parse(header)
	if err != nil {
		return "malformed OAuth header"
	}
	p := map[string]string{}
	for _, kv := range c.Params {
		v, err := url.PathUnescape(kv.Value)
		if err != nil {
			return "oauth parameter " + kv.Name + " is not validly percent-encoded"
		}
		if _, dup := p[kv.Name]; dup {
			return "oauth parameter " + kv.Name + " appears twice"
		}
		p[kv.Name] = v
	}
	for _, name := range []string{"realm", "oauth_consumer_key", "oauth_token", "oauth_signature_method",
		"oauth_timestamp", "oauth_nonce", "oauth_signature"} {
		if p[name] == "" {
			return "missing " + name
		}
	}
	rec.Token, rec.Nonce = p["oauth_token"], p["oauth_nonce"]
	ts, err := strconv.ParseInt(p["oauth_timestamp"], 10, 64)
	if err != nil {
		return "oauth_timestamp is not a number"
	}
	rec.Timestamp = ts
	if v, ok := p["oauth_version"]; ok && v != oauth1.Version {
		return "oauth_version is not 1.0"
	}
	if m := p["oauth_signature_method"]; m != oauth1.SignatureMethod {
		return "oauth_signature_method " + m + " is not accepted (HMAC-SHA256 only)"
	}
	if realm := p["realm"]; realm != s.account.Realm() {
		return fmt.Sprintf("realm %q is not the account ID %q (compared case-sensitively)", realm, s.account.Realm())
	}
	if n := len(p["oauth_nonce"]); n < 6 || n > 64 {
		return "oauth_nonce must be 6 to 64 characters"
	}
	now := s.Now()
	if d := now.Sub(time.Unix(ts, 0)); d > TimestampWindow || d < -TimestampWindow {
		return fmt.Sprintf("oauth_timestamp is %s away from the server clock (window ±%s)", d.Round(time.Second), TimestampWindow)
	}
	cred, ok := s.findTBA(p["oauth_consumer_key"], p["oauth_token"])
	if !ok {
		return "unknown consumer key or token"
	}
	base, err := receivedBaseString(r, rec.Body, p, ts)
	if err != nil {
		return err.Error()
	}
	want := oauth1.NewKey(cred.ConsumerSecret, cred.TokenSecret).Sign(base)
	got, err := base64.StdEncoding.DecodeString(p["oauth_signature"])
	wantRaw, _ := base64.StdEncoding.DecodeString(want)
	if err != nil || !hmac.Equal(got, wantRaw) {
		return "signature mismatch; base string computed by the server: " + string(base)
	}
	if !s.useNonce(nonceKey{p["oauth_token"], p["oauth_nonce"], ts}, now) {
		return "nonce and timestamp already used with this token"
	}
	return ""
}

func (s *Server) findTBA(consumerKey, token string) (cred struct{ ConsumerSecret, TokenSecret string }, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tba {
		if hmac.Equal([]byte(t.ConsumerKey), []byte(consumerKey)) && hmac.Equal([]byte(t.TokenID), []byte(token)) {
			cred.ConsumerSecret, cred.TokenSecret = t.ConsumerSecret, t.TokenSecret
			return cred, true
		}
	}
	return cred, false
}

// receivedBaseString rebuilds the base string from the request as it
// arrived: scheme (https when TLS), Host header, path and query as sent,
// form fields when the body is form-encoded.
func receivedBaseString(r *http.Request, body []byte, p map[string]string, ts int64) ([]byte, error) {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u := &url.URL{Scheme: scheme, Host: r.Host, RawQuery: requestQuery(r)}
	path := requestPath(r)
	dec, err := url.PathUnescape(path)
	if err != nil {
		return nil, fmt.Errorf("request path is not validly percent-encoded")
	}
	u.Path, u.RawPath = dec, path
	var form string
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/x-www-form-urlencoded" {
		form = string(body)
	}
	return oauth1.AppendBaseString(nil, r.Method, u, form, oauth1.Params{
		ConsumerKey: p["oauth_consumer_key"], Token: p["oauth_token"], Nonce: p["oauth_nonce"], Timestamp: ts,
	})
}

// useNonce records a nonce and reports whether it was fresh. Entries older
// than twice the timestamp window are forgotten: the window refuses them.
func (s *Server) useNonce(k nonceKey, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, used := s.nonces[k]; used {
		return false
	}
	if len(s.nonces) > 10000 {
		cutoff := now.Add(-2 * TimestampWindow).Unix()
		for old, ts := range s.nonces {
			if ts < cutoff {
				delete(s.nonces, old)
			}
		}
	}
	s.nonces[k] = k.timestamp
	return true
}
