package bench

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"testing"
	"time"

	"github.com/dghubble/oauth1"
)

// newDghubble is github.com/dghubble/oauth1 configured for NetSuite:
// HMAC-SHA256 and the realm, over base. It returns the Transport of
// config.Client, which is what an application using the library sends
// through.
func newDghubble(base http.RoundTripper) http.RoundTripper {
	config := &oauth1.Config{
		ConsumerKey:    consumerKey,
		ConsumerSecret: consumerSecret,
		Signer:         &oauth1.HMAC256Signer{ConsumerSecret: consumerSecret},
		Realm:          accountID,
	}
	ctx := context.WithValue(context.Background(), oauth1.HTTPClient, &http.Client{Transport: base})
	return config.Client(ctx, oauth1.NewToken(tokenID, tokenSecret)).Transport
}

// TestTBAPeersSign checks that what the TBA benchmarks compare is the same
// work: both libraries send a header that verifies against the base string
// computed here (HMAC-SHA256, realm 1234567), and the caller's request is
// left alone.
func TestTBAPeersSign(t *testing.T) {
	for _, tc := range []struct {
		name string
		rt   func(base http.RoundTripper) http.RoundTripper
	}{
		{"netsuite", func(base http.RoundTripper) http.RoundTripper { return newTBAConnection(t, base) }},
		{"dghubble", newDghubble},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := checkTBAPeer(t, tc.rt); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func checkTBAPeer(tb testing.TB, mk func(base http.RoundTripper) http.RoundTripper) error {
	rec := &recordTransport{}
	rt := mk(rec)
	req := newRequest(tb)
	roundTrip(tb, rt, req)
	if req.Header.Get("Authorization") != "" {
		tb.Fatal("the caller's request was modified")
	}
	return checkTBAHeader(rec.header("Authorization"))
}

// BenchmarkTBA: one TBA-signed GET with two query parameters through the
// library's Connection, through dghubble/oauth1's Transport, and the floor
// (one req.Clone plus one HMAC-SHA256 of the same base string, base64, one
// header set).
func BenchmarkTBA(b *testing.B) {
	b.Run("lib=netsuite", func(b *testing.B) {
		if err := checkTBAPeer(b, func(base http.RoundTripper) http.RoundTripper { return newTBAConnection(b, base) }); err != nil {
			b.Fatal(err)
		}
		conn := newTBAConnection(b, &nopTransport{})
		defer conn.Close()
		runRoundTrips(b, conn)
	})
	b.Run("lib=dghubble", func(b *testing.B) {
		if err := checkTBAPeer(b, newDghubble); err != nil {
			b.Fatal(err)
		}
		runRoundTrips(b, newDghubble(&nopTransport{}))
	})
	b.Run("lib=floor", func(b *testing.B) {
		runRoundTrips(b, tbaFloor{base: &nopTransport{}, key: signingKey(),
			baseStr: baseString("ABCDEFGHIJKLMNOPQRSTUVWXYZ", time.Now().Unix())})
	})
}

// tbaFloor is the least any TBA signer must do per request: clone the
// request, one HMAC-SHA256 over a base string (precomputed: the same inputs
// as the benchmark request), base64 it, set one header, send.
type tbaFloor struct {
	base    http.RoundTripper
	key     []byte
	baseStr string
}

func (f tbaFloor) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	h := hmac.New(sha256.New, f.key)
	h.Write([]byte(f.baseStr))
	r.Header.Set("Authorization", base64.StdEncoding.EncodeToString(h.Sum(nil)))
	return f.base.RoundTrip(r)
}
