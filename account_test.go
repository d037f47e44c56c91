package netsuite_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/suitekit/netsuite"
)

func TestParseAccount(t *testing.T) {
	// Canonical IDs and host labels follow netsuite-protocol.md §1.
	tests := []struct {
		in, id, host string
		sandbox      bool
	}{
		{"1234567", "1234567", "1234567", false},
		{"1234567_SB1", "1234567_SB1", "1234567-sb1", true},
		{"1234567-sb1", "1234567_SB1", "1234567-sb1", true},
		{"1234567-SB1", "1234567_SB1", "1234567-sb1", true},
		{"1234567_sb2", "1234567_SB2", "1234567-sb2", true},
		{"  1234567_SB1\n", "1234567_SB1", "1234567-sb1", true},
		{"tstdrv1234567", "TSTDRV1234567", "tstdrv1234567", false},
		{"TSTDRV1234567", "TSTDRV1234567", "tstdrv1234567", false},
		{"1234567_RP", "1234567_RP", "1234567-rp", true},
		{"https://1234567-sb1.suitetalk.api.netsuite.com", "1234567_SB1", "1234567-sb1", true},
		{"https://1234567-sb1.suitetalk.api.netsuite.com/", "1234567_SB1", "1234567-sb1", true},
		{"https://1234567-SB1.SuiteTalk.API.NetSuite.com:443/services/rest/record/v1", "1234567_SB1", "1234567-sb1", true},
		{"HTTPS://1234567.restlets.api.netsuite.com/app/site/hosting/restlet.nl?script=1&deploy=1", "1234567", "1234567", false},
		{"https://1234567.app.netsuite.com/app/center/card.nl?sc=-29", "1234567", "1234567", false},
		{"https://tstdrv1234567.app.netsuite.com/", "TSTDRV1234567", "tstdrv1234567", false},
		{"1234567-sb1.suitetalk.api.netsuite.com", "1234567_SB1", "1234567-sb1", true},
		{"https://1234567.suitetalk.api.netsuite.com./", "1234567", "1234567", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			a, err := netsuite.ParseAccount(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.id, a.ID())
			assert.Equal(t, tt.id, a.Realm())
			assert.Equal(t, tt.id, a.String())
			assert.Equal(t, tt.host, a.Host())
			assert.Equal(t, tt.sandbox, a.IsSandbox())
		})
	}
}

func TestAccountEndpoints(t *testing.T) {
	a, err := netsuite.ParseAccount("1234567-sb1")
	require.NoError(t, err)
	assert.Equal(t, "https://1234567-sb1.suitetalk.api.netsuite.com", a.RESTURL())
	assert.Equal(t, "https://1234567-sb1.restlets.api.netsuite.com", a.RESTletsURL())
	assert.Equal(t, "https://1234567-sb1.app.netsuite.com", a.AppURL())
	assert.Equal(t, "https://1234567-sb1.app.netsuite.com/app/login/oauth2/authorize.nl", a.AuthorizeURL())
	assert.Equal(t, "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token", a.TokenURL())
	assert.Equal(t, "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/revoke", a.RevokeURL())
	assert.True(t, netsuite.Account{}.IsZero())
	assert.False(t, a.IsZero())
}

func TestParseAccountRejects(t *testing.T) {
	tests := []struct{ in, why string }{
		{"", "empty"},
		{"   ", "empty"},
		{"1234567.evil", "not a NetSuite service host"},
		{"1234567/x", "'/'"},
		{"1234567@x", "'@'"},
		{"1234567:443", "':'"},
		{"1234567 SB1", "' '"},
		{"12345６7", `'\uff16'`},     // fullwidth digit look-alike
		{"1234567_SВ1", `'\u0412'`}, // Cyrillic В
		{"_1234567", "begin and end"},
		{"1234567-", "begin and end"},
		{"1234567__SB1", "two separators"},
		{strings.Repeat("1", 64), "longer"},
		{"http://1234567.suitetalk.api.netsuite.com", "only over https"},
		{"https://1234567.suitetalk.api.netsuite.com:8443", "port 443"},
		{"https://user:pw@1234567.suitetalk.api.netsuite.com", "user name or password"},
		{"https://example.com/1234567.suitetalk.api.netsuite.com", "not a NetSuite service host"},
		{"https://1234567.suitetalk.api.netsuite.com.evil.example", "not a NetSuite service host"},
		{"https://a.b.suitetalk.api.netsuite.com", "not a NetSuite service host"},
		{"https://suitetalk.api.netsuite.com", "not a NetSuite service host"},
		{"https://evil_1234567.suitetalk.api.netsuite.com%2f", "not a valid URL"},
		{"ftp://1234567.suitetalk.api.netsuite.com", "only over https"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := netsuite.ParseAccount(tt.in)
			require.Error(t, err)
			assert.ErrorIs(t, err, netsuite.ErrInvalidConfig)
			var ce *netsuite.ConfigError
			require.True(t, errors.As(err, &ce))
			assert.Equal(t, "account", ce.Field)
			assert.Contains(t, err.Error(), tt.why)
			assert.Contains(t, err.Error(), "accepted: an account ID such as 1234567")
			assert.True(t, strings.HasPrefix(err.Error(), "netsuite: "))
		})
	}
}

func FuzzParseAccount(f *testing.F) {
	for _, s := range []string{"1234567", "1234567_SB1", "1234567-sb1", "tstdrv1234567",
		"https://1234567-sb1.suitetalk.api.netsuite.com:443/", "https://1234567.app.netsuite.com/app/x.nl?a=b",
		"1234567.evil", "1234567@x", "https://1234567.suitetalk.api.netsuite.com.evil.example", "12345６7"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := netsuite.ParseAccount(s)
		if err != nil {
			if !errors.Is(err, netsuite.ErrInvalidConfig) {
				t.Fatalf("error is not a ConfigError: %v", err)
			}
			return
		}
		// A parsed account can never point at another host.
		for _, c := range a.Host() {
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				t.Fatalf("host label %q from %q has %q", a.Host(), s, c)
			}
		}
		if a.ID() != strings.ToUpper(strings.ReplaceAll(a.Host(), "-", "_")) {
			t.Fatalf("ID %q and host %q disagree", a.ID(), a.Host())
		}
		again, err := netsuite.ParseAccount(a.ID())
		if err != nil || again != a {
			t.Fatalf("canonical ID %q does not parse back to itself: %v", a.ID(), err)
		}
		if again, err = netsuite.ParseAccount(a.RESTURL()); err != nil || again != a {
			t.Fatalf("REST URL %q does not parse back to the account: %v", a.RESTURL(), err)
		}
	})
}
