// Package oauth1 holds the pure parts of OAuth 1.0a HMAC-SHA256 signing as
// NetSuite Token-Based Authentication uses them: percent-encoding, the
// signature base string, the signature and the Authorization header. Nothing
// here reads a clock or a random source; the caller supplies nonce and
// timestamp, so every function is deterministic and testable with known
// answers.
package oauth1

// Escape percent-encodes s as RFC 5849 §3.6 (RFC 3986 unreserved set):
// only A-Z a-z 0-9 - . _ ~ stay; every other byte of the UTF-8 form becomes
// %XX with uppercase hex. A space is %20, never +.
func Escape(s string) string {
	n := escapedLen(s)
	if n == len(s) {
		return s
	}
	return string(AppendEscape(make([]byte, 0, n), s))
}

// AppendEscape appends the RFC 5849 encoding of s to dst.
func AppendEscape(dst []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	start := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isUnreserved[c] {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '%', hex[c>>4], hex[c&15])
			start = i + 1
		}
	}
	return append(dst, s[start:]...)
}

// escapedLen is len(Escape(s)) without building it.
func escapedLen(s string) int {
	n := len(s)
	for i := 0; i < len(s); i++ {
		if !isUnreserved[s[i]] {
			n += 2
		}
	}
	return n
}

// isUnreserved is the RFC 3986 unreserved set: A-Z a-z 0-9 - . _ ~
var isUnreserved = func() (t [256]bool) {
	for c := range 256 {
		t[c] = 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~'
	}
	return t
}()
