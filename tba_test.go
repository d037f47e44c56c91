package netsuite_test

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/suitekit/netsuite"
	"github.com/suitekit/netsuite/internal/authheader"
)

// TestTBAVectors signs each shared vector through Connection.RoundTrip, with
// the nonce and clock fixed, and compares the header byte for byte.
func TestTBAVectors(t *testing.T) {
	for _, v := range loadTBAVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			rec := &recorder{}
			conn, err := netsuite.NewConnection(netsuite.Config{
				BaseURL:   v.URL[:strings.Index(v.URL[8:], "/")+8],
				Transport: rec,
				Auth: netsuite.TBA{
					ConsumerKey: v.ConsumerKey, ConsumerSecret: v.ConsumerSecret,
					TokenID: v.TokenID, TokenSecret: v.TokenSecret,
					Nonce: func() string { return v.Nonce },
					Now:   func() time.Time { return time.Unix(v.Timestamp, 0) },
				},
			})
			require.NoError(t, err)
			req, err := http.NewRequest(v.Method, v.URL, nil)
			require.NoError(t, err)
			resp, err := conn.RoundTrip(req)
			require.NoError(t, err)
			resp.Body.Close()

			want := `OAuth realm="` + v.Realm + `", oauth_consumer_key="` + v.ConsumerKey + `", oauth_token="` + v.TokenID +
				`", oauth_signature_method="HMAC-SHA256", oauth_timestamp="` + strconv.FormatInt(v.Timestamp, 10) +
				`", oauth_nonce="` + v.Nonce + `", oauth_version="1.0", oauth_signature="` + url.QueryEscape(v.Signature) + `"`
			assert.Equal(t, want, rec.last(t).Header.Get("Authorization"), "source: %s", v.Source)
		})
	}
}

func TestTBAFreshNonceAndTimestampPerAttempt(t *testing.T) {
	rec := &recorder{}
	conn, err := netsuite.NewConnection(netsuite.Config{AccountID: "1234567", Transport: rec,
		Auth: netsuite.TBA{ConsumerKey: "ck", ConsumerSecret: "cs", TokenID: "tk", TokenSecret: "ts"}})
	require.NoError(t, err)
	seen := map[string]bool{}
	for range 100 {
		req, _ := http.NewRequest("GET", "https://1234567.suitetalk.api.netsuite.com/services/rest/record/v1/customer/1", nil)
		resp, err := conn.RoundTrip(req)
		require.NoError(t, err)
		resp.Body.Close()
		c, err := authheader.Parse(rec.last(t).Header.Get("Authorization"))
		require.NoError(t, err)
		nonce, _ := c.Get("oauth_nonce")
		assert.GreaterOrEqual(t, len(nonce), 20)
		assert.False(t, seen[nonce], "nonce reused")
		seen[nonce] = true
		ts, _ := c.Get("oauth_timestamp")
		assert.Len(t, ts, 10)
		realm, _ := c.Get("realm")
		assert.Equal(t, "1234567", realm)
	}
}

func TestTBASignsFormBodyOnlyWhenFormEncoded(t *testing.T) {
	srv := func() (*netsuite.Connection, *recorder) {
		rec := &recorder{}
		conn, err := netsuite.NewConnection(netsuite.Config{AccountID: "1234567", Transport: rec,
			Auth: netsuite.TBA{ConsumerKey: "ck", ConsumerSecret: "cs", TokenID: "tk", TokenSecret: "ts",
				Nonce: func() string { return "abcdef123456" }, Now: func() time.Time { return time.Unix(1700000000, 0) }}})
		require.NoError(t, err)
		return conn, rec
	}
	const u = "https://1234567.restlets.api.netsuite.com/app/site/hosting/restlet.nl?script=6&deploy=1"
	sign := func(contentType, body string, withGetBody bool) (string, string) {
		conn, rec := srv()
		req, _ := http.NewRequest("POST", u, strings.NewReader(body))
		if !withGetBody {
			req.GetBody = nil
			req.Body = newTrackedBody(body)
		}
		req.Header.Set("Content-Type", contentType)
		resp, err := conn.RoundTrip(req)
		require.NoError(t, err)
		resp.Body.Close()
		return rec.last(t).Header.Get("Authorization"), rec.body[0]
	}
	noBody, _ := sign("application/json", "", true)
	jsonSig, sent := sign("application/json", `{"a":"b"}`, true)
	assert.Equal(t, noBody, jsonSig, "a JSON body must not change the signature")
	assert.Equal(t, `{"a":"b"}`, sent)

	formSig, sent := sign("application/x-www-form-urlencoded; charset=utf-8", "a=b+c", true)
	assert.NotEqual(t, noBody, formSig, "a form body must be signed")
	assert.Equal(t, "a=b+c", sent, "the body sent must be untouched")

	formNoGetBody, sent := sign("application/x-www-form-urlencoded", "a=b+c", false)
	assert.Equal(t, formSig, formNoGetBody, "signing without GetBody must sign the same body")
	assert.Equal(t, "a=b+c", sent, "the body read to sign it must still be sent")

	// The same fields in the query sign the same as in a form body.
	conn, rec := srv()
	req, _ := http.NewRequest("POST", u+"&a=b%20c", nil)
	resp, err := conn.RoundTrip(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, formSig, rec.last(t).Header.Get("Authorization"))
}

func TestTBARejectsBadCredentials(t *testing.T) {
	good := netsuite.TBA{ConsumerKey: "ck", ConsumerSecret: "cs-secret", TokenID: "tk", TokenSecret: "ts-secret"}
	tests := []struct {
		field  string
		mutate func(*netsuite.TBA)
		why    string
	}{
		{"TBA.ConsumerKey", func(a *netsuite.TBA) { a.ConsumerKey = "" }, "empty"},
		{"TBA.ConsumerSecret", func(a *netsuite.TBA) { a.ConsumerSecret = "cs-secret\n" }, "white space"},
		{"TBA.TokenID", func(a *netsuite.TBA) { a.TokenID = " tk" }, "white space"},
		{"TBA.TokenSecret", func(a *netsuite.TBA) { a.TokenSecret = "" }, "empty"},
		{"TBA.TokenSecret", func(a *netsuite.TBA) { a.TokenSecret = "ts\x00secret" }, "control character"},
		{"TBA.Realm", func(a *netsuite.TBA) { a.Realm = "1234567.evil" }, "'.'"},
		{"TBA.Realm", func(a *netsuite.TBA) { a.Realm = "1234567-sb1" }, "case-sensitively"},
		{"TBA.Realm", func(a *netsuite.TBA) { a.Realm = "7654321" }, "leave it empty"},
	}
	for _, tt := range tests {
		t.Run(tt.field+"/"+tt.why, func(t *testing.T) {
			a := good
			tt.mutate(&a)
			_, err := netsuite.NewConnection(netsuite.Config{AccountID: "1234567_SB1", Auth: a})
			require.Error(t, err)
			assert.ErrorIs(t, err, netsuite.ErrInvalidConfig)
			var ce *netsuite.ConfigError
			require.True(t, errors.As(err, &ce))
			assert.Equal(t, tt.field, ce.Field)
			assert.Contains(t, err.Error(), tt.why)
			assert.NotContains(t, err.Error(), "secret")
		})
	}
}

func TestTBARealmOverride(t *testing.T) {
	rec := &recorder{}
	conn, err := netsuite.NewConnection(netsuite.Config{AccountID: "1234567-sb1", Transport: rec,
		Auth: netsuite.TBA{ConsumerKey: "ck", ConsumerSecret: "cs", TokenID: "tk", TokenSecret: "ts", Realm: "1234567_SB1"}})
	require.NoError(t, err)
	req, _ := http.NewRequest("GET", "https://1234567-sb1.suitetalk.api.netsuite.com/", nil)
	resp, err := conn.RoundTrip(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Contains(t, rec.last(t).Header.Get("Authorization"), `realm="1234567_SB1"`)
}
