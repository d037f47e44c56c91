// Package authheader parses the auth-param syntax shared by Authorization
// and WWW-Authenticate headers (RFC 9110 §11): a scheme followed by
// comma-separated name=value pairs whose values are tokens or quoted strings.
package authheader

import (
	"errors"
	"strings"
)

// Param is one auth-param. Name is in lower case; Value has quotes and
// backslash escapes removed.
type Param struct {
	Name, Value string
}

// Challenge is a scheme with its parameters.
type Challenge struct {
	Scheme string
	Params []Param
}

// Get returns the value of the first parameter called name (case-insensitive).
func (c Challenge) Get(name string) (string, bool) {
	for _, p := range c.Params {
		if strings.EqualFold(p.Name, name) {
			return p.Value, true
		}
	}
	return "", false
}

// ErrSyntax reports a header that is not scheme + auth-params.
var ErrSyntax = errors.New("malformed auth header")

// Parse reads one challenge or credentials value: `Scheme a="x", b=y`.
// A header with several challenges yields the first one's scheme and every
// parameter up to the next scheme.
func Parse(s string) (Challenge, error) {
	s = strings.TrimSpace(s)
	scheme, rest, _ := strings.Cut(s, " ")
	if !IsToken(scheme) {
		return Challenge{}, ErrSyntax
	}
	c := Challenge{Scheme: scheme}
	for {
		rest = strings.TrimLeft(rest, " \t,")
		if rest == "" {
			return c, nil
		}
		i := strings.IndexByte(rest, '=')
		if i <= 0 {
			return c, nil // token68 or the start of another challenge: stop
		}
		name := strings.TrimSpace(rest[:i])
		if !IsToken(name) {
			return c, nil
		}
		rest = strings.TrimLeft(rest[i+1:], " \t")
		var value string
		var err error
		if strings.HasPrefix(rest, `"`) {
			value, rest, err = quoted(rest)
			if err != nil {
				return c, err
			}
		} else {
			j := strings.IndexAny(rest, ", \t")
			if j < 0 {
				j = len(rest)
			}
			value, rest = rest[:j], rest[j:]
		}
		c.Params = append(c.Params, Param{Name: strings.ToLower(name), Value: value})
	}
}

// quoted reads a quoted-string at the start of s.
func quoted(s string) (value, rest string, err error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), s[i+1:], nil
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", "", ErrSyntax
}

// IsToken reports whether s is a non-empty RFC 9110 token (as HTTP methods,
// auth schemes and parameter names are).
func IsToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return s != ""
}
