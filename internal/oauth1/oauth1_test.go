package oauth1

import (
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// vector is one entry of testdata/tba_vectors.json, a verbatim copy of
// shared/vectors/tba.json: signatures computed by Oracle (published
// examples) and by python3-oauthlib 3.2.2, not by this code.
type vector struct {
	Name           string `json:"name"`
	Method         string `json:"method"`
	URL            string `json:"url"`
	Realm          string `json:"realm"`
	ConsumerKey    string `json:"consumer_key"`
	ConsumerSecret string `json:"consumer_secret"`
	TokenID        string `json:"token_id"`
	TokenSecret    string `json:"token_secret"`
	Nonce          string `json:"nonce"`
	Timestamp      int64  `json:"timestamp"`
	Signature      string `json:"signature"`
	Source         string `json:"source"`
}

func loadVectors(t testing.TB) []vector {
	data, err := os.ReadFile("../../testdata/tba_vectors.json")
	require.NoError(t, err)
	var vs []vector
	require.NoError(t, json.Unmarshal(data, &vs))
	require.NotEmpty(t, vs)
	return vs
}

func TestVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			u, err := url.Parse(v.URL)
			require.NoError(t, err)
			base, err := AppendBaseString(nil, v.Method, u, "", Params{
				ConsumerKey: v.ConsumerKey, Token: v.TokenID, Nonce: v.Nonce, Timestamp: v.Timestamp,
			})
			require.NoError(t, err)
			got := NewKey(v.ConsumerSecret, v.TokenSecret).Sign(base)
			assert.Equal(t, v.Signature, got, "base string: %s (source of expected value: %s)", base, v.Source)
		})
	}
}

func TestEscape(t *testing.T) {
	// Expected values follow RFC 3986 §2.3 / RFC 5849 §3.6 by hand.
	tests := []struct{ in, want string }{
		{"", ""},
		{"abcXYZ019-._~", "abcXYZ019-._~"},
		{" ", "%20"},
		{"+", "%2B"},
		{"*", "%2A"},
		{"!", "%21"},
		{"%", "%25"},
		{"a b&c=d", "a%20b%26c%3Dd"},
		{"é", "%C3%A9"},
		{"日本", "%E6%97%A5%E6%9C%AC"},
		{"\x00\xff", "%00%FF"},
		{"/?#[]@", "%2F%3F%23%5B%5D%40"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, Escape(tt.in))
			assert.Equal(t, len(tt.want), escapedLen(tt.in))
		})
	}
}

func TestBaseString(t *testing.T) {
	p := Params{ConsumerKey: "9djdj82h48djs9d2", Token: "kkk9d7dh3k39sjv7", Nonce: "7d8f3e4a", Timestamp: 137131201}
	const oauth = "oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7%26oauth_version%3D1.0"
	tests := []struct {
		name, method, url, form, want string
	}{
		{
			// RFC 5849 §3.4.1.1 example, adapted: HMAC-SHA256 and
			// oauth_version added; the realm is never part of it.
			name: "rfc5849 example", method: "post",
			url:  "HTTP://EXAMPLE.COM:80/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b",
			form: "c2&a3=2+q",
			want: "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26" + oauth,
		},
		{
			name: "default https port dropped, other port kept", method: "GET",
			url:  "https://Host.Example:443/a",
			want: "GET&https%3A%2F%2Fhost.example%2Fa&" + oauth,
		},
		{
			name: "non-default port kept", method: "GET",
			url:  "http://127.0.0.1:8080/",
			want: "GET&http%3A%2F%2F127.0.0.1%3A8080%2F&" + oauth,
		},
		{
			name: "empty path is slash", method: "GET", url: "https://h.example",
			want: "GET&https%3A%2F%2Fh.example%2F&" + oauth,
		},
		{
			name:   "escaped path as sent, plus in query is a space, repeated keys sorted by value",
			method: "GET", url: "https://h.example/record/v1/salesorder/5/!transform/invoice?x=2&x=1&q=a+b&e=",
			want: "GET&https%3A%2F%2Fh.example%2Frecord%2Fv1%2Fsalesorder%2F5%2F%21transform%2Finvoice&e%3D%26" +
				oauth + "%26q%3Da%2520b%26x%3D1%26x%3D2",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(tt.url)
			require.NoError(t, err)
			got, err := BaseString(tt.method, u, tt.form, p)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestBaseStringRejectsBadEncoding(t *testing.T) {
	for _, raw := range []string{"https://h.example/?a=%zz", "https://h.example/?%g=1"} {
		u, err := url.Parse(raw)
		require.NoError(t, err)
		_, err = BaseString("GET", u, "", Params{})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "not validly percent-encoded")
	}
	_, err := BaseString("POST", &url.URL{Scheme: "https", Host: "h"}, "a=%", Params{})
	assert.ErrorContains(t, err, "form body")
}

func TestHeader(t *testing.T) {
	got := Header("1234567_SB1", Params{ConsumerKey: "c k", Token: "t", Nonce: "n", Timestamp: 1700000000}, "a+b/c=")
	assert.Equal(t, `OAuth realm="1234567_SB1", oauth_consumer_key="c%20k", oauth_token="t", oauth_signature_method="HMAC-SHA256", oauth_timestamp="1700000000", oauth_nonce="n", oauth_version="1.0", oauth_signature="a%2Bb%2Fc%3D"`, got)
}

// escapeRef is a deliberately naive second implementation of RFC 3986
// encoding, used as the oracle for FuzzEscape.
func escapeRef(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			b.WriteString("%" + strings.ToUpper(string("0123456789abcdef"[c>>4])+string("0123456789abcdef"[c&15])))
		}
	}
	return b.String()
}

func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "abc", "a b+c", "é日本", "\x00\xff", "%41"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Escape(s)
		if want := escapeRef(s); got != want {
			t.Fatalf("Escape(%q) = %q, want %q", s, got, want)
		}
		back, err := url.PathUnescape(got)
		if err != nil || back != s {
			t.Fatalf("Escape(%q) = %q does not decode back (%q, %v)", s, got, back, err)
		}
	})
}

func FuzzBaseString(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add(v.Method, v.URL, "", v.Nonce)
	}
	f.Add("POST", "https://h.example/x?a=1&a=2&b", "c2&a3=2+q", "n")
	f.Fuzz(func(t *testing.T, method, rawURL, form, nonce string) {
		u, err := url.Parse(rawURL)
		if err != nil {
			return
		}
		p := Params{ConsumerKey: "ck", Token: "tk", Nonce: nonce, Timestamp: 1}
		a, err := BaseString(method, u, form, p)
		if err != nil {
			return
		}
		b, _ := BaseString(method, u, form, p)
		if a != b {
			t.Fatal("base string is not deterministic")
		}
		// Three parts separated by the only two raw '&' characters.
		if strings.Count(a, "&") != 2 {
			t.Fatalf("base string %q does not have exactly three parts", a)
		}
		parts := strings.Split(a, "&")
		params, err := url.PathUnescape(parts[2])
		if err != nil {
			t.Fatalf("parameter part %q is not decodable: %v", parts[2], err)
		}
		if !strings.Contains(params, "oauth_nonce="+Escape(nonce)) {
			t.Fatalf("nonce missing from %q", params)
		}
	})
}
