package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// endpointSource is an oauth2.TokenSource that posts to a token endpoint
// through client and parses the answer: the x/oauth2 side of the bearer
// benchmarks, reaching the same endpoint as the library.
type endpointSource struct {
	client *http.Client
	url    string
}

func (s endpointSource) Token() (*oauth2.Token, error) {
	resp, err := s.client.Post(s.url, "application/x-www-form-urlencoded", strings.NewReader("grant_type=client_credentials"))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("token endpoint: %s", resp.Status)
	}
	var doc struct {
		AccessToken string  `json:"access_token"`
		TokenType   string  `json:"token_type"`
		ExpiresIn   float64 `json:"expires_in"` // fractional only in the real-time expiry scenario
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, err
	}
	return &oauth2.Token{AccessToken: doc.AccessToken, TokenType: doc.TokenType,
		Expiry: time.Now().Add(time.Duration(doc.ExpiresIn * float64(time.Second)))}, nil
}

// newXOAuth2 is golang.org/x/oauth2's Transport with a ReuseTokenSource
// over the token endpoint reached through base.
func newXOAuth2(base http.RoundTripper) *oauth2.Transport {
	src := endpointSource{client: &http.Client{Transport: base}, url: "https://1234567.suitetalk.api.netsuite.com" + tokenPath}
	return &oauth2.Transport{Source: oauth2.ReuseTokenSource(nil, src), Base: base}
}

// bearerFloor is the least a bearer transport must do per request: clone
// the request and set one header (the value is precomputed).
type bearerFloor struct {
	base  http.RoundTripper
	value string
}

func (f bearerFloor) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", f.value)
	return f.base.RoundTrip(r)
}

// checkBearer sends one request through rt (which warms its token cache)
// and checks the Authorization header that reached the base transport.
func checkBearer(tb testing.TB, rt http.RoundTripper, rec *recordTransport) {
	req := newRequest(tb)
	roundTrip(tb, rt, req)
	if got, want := rec.header("Authorization"), "Bearer "+accessToken; got != want {
		tb.Fatalf("Authorization = %.40q…, want %.40q…", got, want)
	}
	if req.Header.Get("Authorization") != "" {
		tb.Fatal("the caller's request was modified")
	}
}

// tokenThenRecord answers the token path like nopTransport and records
// every other request.
type tokenThenRecord struct {
	nopTransport
	recordTransport
}

func (t *tokenThenRecord) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Path == tokenPath {
		return t.nopTransport.RoundTrip(req)
	}
	return t.recordTransport.RoundTrip(req)
}

func TestBearerPeersSend(t *testing.T) {
	t.Run("netsuite", func(t *testing.T) {
		base := &tokenThenRecord{}
		conn := newBearerConnection(t, base, newECKey(t))
		defer conn.Close()
		checkBearer(t, conn, &base.recordTransport)
	})
	t.Run("xoauth2", func(t *testing.T) {
		base := &tokenThenRecord{}
		checkBearer(t, newXOAuth2(base), &base.recordTransport)
	})
}

// BenchmarkBearer: one GET with a cached OAuth 2.0 access token through the
// library's Connection (client credentials, EC P-256), through x/oauth2's
// Transport with ReuseTokenSource, and the floor (req.Clone plus one header
// set). The token is fetched once, from the no-op transport, before timing.
func BenchmarkBearer(b *testing.B) {
	b.Run("lib=netsuite", func(b *testing.B) {
		base := &tokenThenRecord{}
		check := newBearerConnection(b, base, newECKey(b))
		checkBearer(b, check, &base.recordTransport)
		check.Close()

		nop := &nopTransport{}
		conn := newBearerConnection(b, nop, newECKey(b))
		defer conn.Close()
		roundTrip(b, conn, newRequest(b)) // fetch and cache the token
		runRoundTrips(b, conn)
		if n := nop.tokenRequests.Load(); n != 1 {
			b.Fatalf("%d token requests, want 1", n)
		}
	})
	b.Run("lib=xoauth2", func(b *testing.B) {
		base := &tokenThenRecord{}
		checkBearer(b, newXOAuth2(base), &base.recordTransport)

		nop := &nopTransport{}
		rt := newXOAuth2(nop)
		roundTrip(b, rt, newRequest(b))
		runRoundTrips(b, rt)
		if n := nop.tokenRequests.Load(); n != 1 {
			b.Fatalf("%d token requests, want 1", n)
		}
	})
	b.Run("lib=floor", func(b *testing.B) {
		runRoundTrips(b, bearerFloor{base: &nopTransport{}, value: "Bearer " + accessToken})
	})
}
