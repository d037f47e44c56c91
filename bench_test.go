package netsuite_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/suitekit/netsuite"
	"github.com/suitekit/netsuite/internal/oauth1"
)

// nopTransport answers every request with a shared empty 200, so that a
// benchmark measures only the authentication layer.
type nopTransport struct{}

var nopBody = io.NopCloser(strings.NewReader(""))

func (nopTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.URL.Path, "/token") { // token endpoint, for OAuth 2.0
		body := `{"access_token":"` + strings.Repeat("a", 600) + `","token_type":"bearer","expires_in":3600}`
		return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(body)), Request: req}, nil
	}
	return &http.Response{StatusCode: 200, Body: nopBody, Request: req}, nil
}

const benchURL = "https://1234567.suitetalk.api.netsuite.com/services/rest/record/v1/customer?limit=10&offset=20"

func benchRoundTrip(b *testing.B, auth netsuite.Authenticator) {
	conn, err := netsuite.NewConnection(netsuite.Config{AccountID: "1234567", Auth: auth, Transport: nopTransport{}})
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	req, _ := http.NewRequest(http.MethodGet, benchURL, nil)
	req.Header.Set("User-Agent", "bench")
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := conn.RoundTrip(req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := conn.RoundTrip(req); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkTBARoundTrip: one signed GET with two query parameters.
func BenchmarkTBARoundTrip(b *testing.B) {
	benchRoundTrip(b, netsuite.TBA{ConsumerKey: strings.Repeat("c", 64), ConsumerSecret: strings.Repeat("s", 64),
		TokenID: strings.Repeat("t", 64), TokenSecret: strings.Repeat("u", 64)})
}

// BenchmarkBearerRoundTrip: a GET with a cached client-credentials token.
func BenchmarkBearerRoundTrip(b *testing.B) {
	key, cert := loadFreshKey(b, "ec-p256-sec1.key.pem")
	benchRoundTrip(b, netsuite.ClientCredentials{ClientID: "c", CertificateID: "k", Key: key, Certificate: cert})
}

// BenchmarkCloneFloor is the floor: req.Clone plus one header set.
func BenchmarkCloneFloor(b *testing.B) {
	req, _ := http.NewRequest(http.MethodGet, benchURL, nil)
	req.Header.Set("User-Agent", "bench")
	b.ReportAllocs()
	for b.Loop() {
		r := req.Clone(req.Context())
		r.Header.Set("Authorization", "Bearer x")
	}
}

// BenchmarkTBAFloor is the floor of a TBA request: one HMAC-SHA256 of the
// same base string plus one req.Clone.
func BenchmarkTBAFloor(b *testing.B) {
	u, _ := url.Parse(benchURL)
	base, _ := oauth1.BaseString("GET", u, "", oauth1.Params{ConsumerKey: strings.Repeat("c", 64), Token: strings.Repeat("t", 64),
		Nonce: "ABCDEFGHIJKLMNOPQRSTUVWXYZ", Timestamp: 1700000000})
	key := []byte(strings.Repeat("s", 64) + "&" + strings.Repeat("u", 64))
	req, _ := http.NewRequest(http.MethodGet, benchURL, nil)
	req.Header.Set("User-Agent", "bench")
	b.ReportAllocs()
	for b.Loop() {
		r := req.Clone(req.Context())
		h := hmac.New(sha256.New, key)
		h.Write([]byte(base))
		r.Header.Set("Authorization", base64.StdEncoding.EncodeToString(h.Sum(nil)))
	}
}
