package authheader

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, in string
		want     Challenge
		wantErr  bool
	}{
		{"netsuite bearer", `Bearer realm="1234567", error="invalid_token", error_description="Invalid login attempt."`,
			Challenge{"Bearer", []Param{{"realm", "1234567"}, {"error", "invalid_token"}, {"error_description", "Invalid login attempt."}}}, false},
		{"netsuite oauth", `OAuth realm="1234567_SB1", error="token_rejected", error_description="Invalid login attempt."`,
			Challenge{"OAuth", []Param{{"realm", "1234567_SB1"}, {"error", "token_rejected"}, {"error_description", "Invalid login attempt."}}}, false},
		{"token values and odd spacing", `OAuth  realm = x ,oauth_nonce=abc,,  Oauth_Version="1.0"`,
			Challenge{"OAuth", []Param{{"realm", "x"}, {"oauth_nonce", "abc"}, {"oauth_version", "1.0"}}}, false},
		{"escapes", `Basic realm="a\"b\\c"`, Challenge{"Basic", []Param{{"realm", `a"b\c`}}}, false},
		{"scheme only", `Negotiate`, Challenge{Scheme: "Negotiate"}, false},
		{"unterminated quote", `Bearer error="x`, Challenge{}, true},
		{"empty", ``, Challenge{}, true},
		{"bad scheme", `"x" a=b`, Challenge{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if tt.wantErr {
				require.ErrorIs(t, err, ErrSyntax)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	c, _ := Parse(`Bearer ERROR="e"`)
	v, ok := c.Get("error")
	assert.True(t, ok)
	assert.Equal(t, "e", v)
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`Bearer realm="1234567", error="invalid_token", error_description="Invalid login attempt."`,
		`OAuth realm="1234567_SB1", oauth_consumer_key="ck", oauth_signature="a%2Bb%3D"`,
		`Basic realm="x\"y"`, `Bearer`, `x a=`, `x ="`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			return
		}
		if c.Scheme == "" {
			t.Fatalf("no scheme and no error for %q", s)
		}
	})
}
