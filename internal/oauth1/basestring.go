package oauth1

import (
	"errors"
	"fmt"
	"github.com/suitekit/netsuite/internal/authheader"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// SignatureMethod is the only method NetSuite accepts (HMAC-SHA1 ended with
// NetSuite 2023.1).
const SignatureMethod = "HMAC-SHA256"

// Version is the oauth_version value.
const Version = "1.0"

// Params are the oauth_* protocol parameters of one request attempt, other
// than oauth_signature, oauth_signature_method and oauth_version (fixed).
type Params struct {
	ConsumerKey string
	Token       string
	Nonce       string
	Timestamp   int64
}

// pair is one normalised parameter: name and value, both already encoded.
type pair struct{ name, value string }

// BaseString returns the signature base string of RFC 5849 §3.4.1 for a
// request: UPPER(method) & enc(base URI) & enc(normalised parameters).
// rawForm is the body when it is application/x-www-form-urlencoded and
// empty otherwise (other bodies are never signed).
func BaseString(method string, u *url.URL, rawForm string, p Params) (string, error) {
	b, err := AppendBaseString(nil, method, u, rawForm, p)
	return string(b), err
}

// AppendBaseString appends the base string to dst; see BaseString.
func AppendBaseString(dst []byte, method string, u *url.URL, rawForm string, p Params) ([]byte, error) {
	if !authheader.IsToken(method) {
		return dst, fmt.Errorf("netsuite: oauth1: %q is not a valid HTTP method", method)
	}
	if u.Opaque != "" {
		return dst, errors.New("netsuite: oauth1: opaque URLs cannot be signed")
	}
	var stack [24]pair
	pairs, err := appendPairs(stack[:0], u.RawQuery, "query")
	if err != nil {
		return dst, err
	}
	if pairs, err = appendPairs(pairs, rawForm, "form body"); err != nil {
		return dst, err
	}
	var ts [20]byte
	pairs = append(pairs,
		pair{"oauth_consumer_key", Escape(p.ConsumerKey)},
		pair{"oauth_nonce", Escape(p.Nonce)},
		pair{"oauth_signature_method", SignatureMethod},
		pair{"oauth_timestamp", string(strconv.AppendInt(ts[:0], p.Timestamp, 10))},
		pair{"oauth_token", Escape(p.Token)},
		pair{"oauth_version", Version},
	)
	slices.SortFunc(pairs, func(a, b pair) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		return strings.Compare(a.value, b.value)
	})

	dst = AppendEscape(dst, strings.ToUpper(method)) // RFC 5849 §3.4.1.1: a custom method is encoded
	dst = append(dst, '&')
	dst = appendEscapedBaseURI(dst, u)
	dst = append(dst, '&')
	for i, q := range pairs {
		if i > 0 {
			dst = append(dst, "%26"...) // enc("&")
		}
		dst = AppendEscape(dst, q.name)
		dst = append(dst, "%3D"...) // enc("=")
		dst = AppendEscape(dst, q.value)
	}
	return dst, nil
}

// appendPairs decodes an application/x-www-form-urlencoded string (a query
// or a form body: "+" is a space) and appends its pairs, encoded per RFC 5849.
// Every value of a repeated name is kept.
func appendPairs(pairs []pair, raw, what string) ([]pair, error) {
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" {
			continue
		}
		name, value, _ := strings.Cut(part, "=")
		n, err := url.QueryUnescape(name)
		if err != nil {
			return pairs, fmt.Errorf("netsuite: oauth1: %s parameter name %q is not validly percent-encoded: %w", what, name, err)
		}
		v, err := url.QueryUnescape(value)
		if err != nil {
			return pairs, fmt.Errorf("netsuite: oauth1: %s parameter %q has a value that is not validly percent-encoded: %w", what, n, err)
		}
		pairs = append(pairs, pair{Escape(n), Escape(v)})
	}
	return pairs, nil
}

// appendEscapedBaseURI appends enc(scheme://host/path): scheme and host in
// lower case, the default port dropped, the path as sent on the wire.
func appendEscapedBaseURI(dst []byte, u *url.URL) []byte {
	scheme := u.Scheme
	host := u.Host
	host = strings.TrimSuffix(host, ":")
	switch {
	case strings.EqualFold(scheme, "https") && strings.HasSuffix(host, ":443"):
		host = host[:len(host)-4]
	case strings.EqualFold(scheme, "http") && strings.HasSuffix(host, ":80"):
		host = host[:len(host)-3]
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	dst = AppendEscape(dst, strings.ToLower(scheme))
	dst = append(dst, "%3A%2F%2F"...) // enc("://")
	dst = AppendEscape(dst, strings.ToLower(host))
	return AppendEscape(dst, path)
}
