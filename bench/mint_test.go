package bench

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	_ "crypto/sha256"
	_ "crypto/sha512"

	"github.com/suitekit/netsuite"
)

// mintCases are the algorithms NetSuite accepts for client credentials,
// with the key sizes it accepts.
var mintCases = []struct {
	name string // benchmark name
	alg  string
	key  string // key kind, for keyFor
}{
	{"alg=PS256/key=RSA-3072", "PS256", "rsa3072"},
	{"alg=PS384/key=RSA-3072", "PS384", "rsa3072"},
	{"alg=PS512/key=RSA-3072", "PS512", "rsa3072"},
	{"alg=PS256/key=RSA-4096", "PS256", "rsa4096"},
	{"alg=PS384/key=RSA-4096", "PS384", "rsa4096"},
	{"alg=PS512/key=RSA-4096", "PS512", "rsa4096"},
	{"alg=ES256/key=P-256", "ES256", "p256"},
	{"alg=ES384/key=P-384", "ES384", "p384"},
	{"alg=ES512/key=P-521", "ES512", "p521"},
}

// Keys are generated once per process (RSA-4096 takes a while).
var (
	keysMu sync.Mutex
	keys   = map[string]crypto.Signer{}
)

func keyFor(tb testing.TB, kind string) crypto.Signer {
	keysMu.Lock()
	defer keysMu.Unlock()
	if k, ok := keys[kind]; ok {
		return k
	}
	var k crypto.Signer
	var err error
	switch kind {
	case "rsa3072":
		k, err = rsa.GenerateKey(rand.Reader, 3072)
	case "rsa4096":
		k, err = rsa.GenerateKey(rand.Reader, 4096)
	case "p256":
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "p384":
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "p521":
		k, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	}
	if err != nil || k == nil {
		tb.Fatalf("key %s: %v", kind, err)
	}
	keys[kind] = k
	return k
}

// tokenServer is a loopback token endpoint: it reads the form, checks that
// a client assertion came with the expected alg in its header, and answers
// with a token.
func tokenServer(tb testing.TB, wantAlg string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/floor" && r.ParseForm() == nil { // the HTTP part of a mint, without any check
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, tokenJSON)
			return
		}
		if r.URL.Path != tokenPath || r.ParseForm() != nil || r.PostForm.Get("grant_type") != "client_credentials" {
			http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
			return
		}
		head, _, _ := strings.Cut(r.PostForm.Get("client_assertion"), ".")
		raw, _ := base64.RawURLEncoding.DecodeString(head)
		var h struct {
			Alg string `json:"alg"`
		}
		if json.Unmarshal(raw, &h) != nil || h.Alg != wantAlg {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, tokenJSON)
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// BenchmarkMint: one client-credentials token mint per op: the JWT
// assertion is signed and posted to a loopback httptest token endpoint
// (HTTP/1.1 keep-alive, so after the first op no TCP handshake) and the
// answer parsed. Each op builds a fresh Connection, gets its token with
// conn.TokenSource().Token() (the new Connection's cache is empty, so every
// op mints) and closes it. Measured: NewConnection and Close (part=construct
// shows their share: a few µs, against hundreds of µs for a mint; stopping
// the timer around them cost more than they do) + assertion claims +
// signature + form + HTTP round trip over loopback + token parsing + the
// cache's fetch goroutine. part=sign (the signature alone) and part=http (a
// POST of the same size to the same server, answer parsed) are the floors.
func BenchmarkMint(b *testing.B) {
	transport := &http.Transport{MaxIdleConnsPerHost: 4}
	defer transport.CloseIdleConnections()
	for _, tc := range mintCases {
		b.Run(tc.name+"/part=mint", func(b *testing.B) {
			key := keyFor(b, tc.key)
			srv := tokenServer(b, tc.alg)
			cfg := netsuite.Config{
				BaseURL: srv.URL, AccountID: accountID, Transport: transport,
				Auth: netsuite.ClientCredentials{ClientID: "bench-client", CertificateID: "bench-kid", Key: key, Algorithm: tc.alg},
			}
			mint := func() {
				conn, err := netsuite.NewConnection(cfg)
				if err != nil {
					b.Fatal(err)
				}
				tok, err := conn.TokenSource().Token()
				if err != nil {
					b.Fatal(err)
				}
				if tok.AccessToken != accessToken {
					b.Fatal("wrong token")
				}
				conn.Close()
			}
			mint() // warm the keep-alive connection
			b.ReportAllocs()
			for b.Loop() {
				mint()
			}
		})
		b.Run(tc.name+"/part=construct", func(b *testing.B) {
			cfg := netsuite.Config{
				BaseURL: "http://127.0.0.1:1", AccountID: accountID, Transport: transport,
				Auth: netsuite.ClientCredentials{ClientID: "bench-client", CertificateID: "bench-kid", Key: keyFor(b, tc.key), Algorithm: tc.alg},
			}
			b.ReportAllocs()
			for b.Loop() {
				conn, err := netsuite.NewConnection(cfg)
				if err != nil {
					b.Fatal(err)
				}
				conn.Close()
			}
		})
		b.Run(tc.name+"/part=sign", func(b *testing.B) {
			signOnly(b, keyFor(b, tc.key), tc.alg)
		})
		b.Run(tc.name+"/part=http", func(b *testing.B) {
			httpOnly(b, transport, tokenServer(b, tc.alg).URL+"/floor", assertionSize(tc.key))
		})
	}
}

// signOnly is the floor of a mint: one signature of a digest with the same
// key, hash and (for PS*) PSS options, nothing else.
func signOnly(b *testing.B, key crypto.Signer, alg string) {
	hash := map[string]crypto.Hash{"PS256": crypto.SHA256, "PS384": crypto.SHA384, "PS512": crypto.SHA512,
		"ES256": crypto.SHA256, "ES384": crypto.SHA384, "ES512": crypto.SHA512}[alg]
	var opts crypto.SignerOpts = hash
	if strings.HasPrefix(alg, "PS") {
		opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: hash}
	}
	h := hash.New()
	h.Write([]byte("a JWT header and claims of a few hundred bytes"))
	digest := h.Sum(nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := key.Sign(rand.Reader, digest, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// assertionSize is about the length of a client assertion signed with a key
// of this kind (header and claims ~ 400 characters, plus the signature).
func assertionSize(kind string) int {
	sig := map[string]int{"rsa3072": 384, "rsa4096": 512, "p256": 64, "p384": 96, "p521": 132}[kind]
	return 400 + (sig*4+2)/3
}

// httpOnly is the HTTP part of a mint: a form POST of the same size to the
// same loopback server over the same keep-alive transport, the answer read
// and its JSON parsed.
func httpOnly(b *testing.B, transport http.RoundTripper, url string, assertionLen int) {
	client := &http.Client{Transport: transport}
	form := "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=" +
		strings.Repeat("x", assertionLen)
	b.ReportAllocs()
	for b.Loop() {
		resp, err := client.Post(url, "application/x-www-form-urlencoded", strings.NewReader(form))
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		if err != nil || json.Unmarshal(body, &tok) != nil || tok.AccessToken != accessToken {
			b.Fatalf("floor POST: %v %s", err, body)
		}
	}
}
