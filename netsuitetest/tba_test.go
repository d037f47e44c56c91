package netsuitetest_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/suitekit/netsuite"
	"github.com/suitekit/netsuite/internal/oauth1"
	"github.com/suitekit/netsuite/netsuitetest"
)

// vector is one entry of ../testdata/tba_vectors.json (the shared
// known-answer vectors, computed by Oracle and by python3-oauthlib).
type vector struct {
	Name, Method, URL, Realm, Nonce, Signature string
	ConsumerKey                                string `json:"consumer_key"`
	ConsumerSecret                             string `json:"consumer_secret"`
	TokenID                                    string `json:"token_id"`
	TokenSecret                                string `json:"token_secret"`
	Timestamp                                  int64
}

func loadVectors(t *testing.T) []vector {
	data, err := os.ReadFile("../testdata/tba_vectors.json")
	require.NoError(t, err)
	var vs []vector
	require.NoError(t, json.Unmarshal(data, &vs))
	return vs
}

// header builds the Authorization header of a vector from its published
// fields only (not from our signer).
func header(realm, ck, tk, method, nonce string, ts int64, sig string) string {
	return `OAuth realm="` + realm + `", oauth_consumer_key="` + ck + `", oauth_token="` + tk +
		`", oauth_signature_method="` + method + `", oauth_timestamp="` + strconv.FormatInt(ts, 10) +
		`", oauth_nonce="` + nonce + `", oauth_version="1.0", oauth_signature="` + oauth1.Escape(sig) + `"`
}

func serve(srv *netsuitetest.Server, method, target, auth string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil) // https target: req.TLS set, as NetSuite terminates TLS
	if strings.Contains(target, "suiteql") {
		req = httptest.NewRequest(method, target, strings.NewReader(`{"q":"SELECT id FROM customer"}`))
		req.Header.Set("Prefer", "transient")
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", auth)
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	return w
}

func TestVectorsAcceptedAndOneByteChangesRejected(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			newSrv := func() *netsuitetest.Server {
				srv := netsuitetest.NewHandler(netsuitetest.WithAccountID(v.Realm),
					netsuitetest.WithClock(func() time.Time { return time.Unix(v.Timestamp, 0) }))
				srv.AddTBA(netsuite.TBA{ConsumerKey: v.ConsumerKey, ConsumerSecret: v.ConsumerSecret, TokenID: v.TokenID, TokenSecret: v.TokenSecret})
				return srv
			}
			good := header(v.Realm, v.ConsumerKey, v.TokenID, "HMAC-SHA256", v.Nonce, v.Timestamp, v.Signature)
			srv := newSrv()
			w := serve(srv, v.Method, v.URL, good)
			require.NotEqual(t, 401, w.Code, "vector rejected: %s", srv.Requests()[0].Reject)
			assert.Less(t, w.Code, 300, w.Body.String())

			// Replaying the very same request is a nonce reuse.
			w = serve(srv, v.Method, v.URL, good)
			assert.Equal(t, 401, w.Code)
			assert.Contains(t, srv.Requests()[1].Reject, "already used")

			sigRaw := []byte(v.Signature)
			sigRaw[3] ^= 0x01
			mutations := map[string][2]string{
				"signature byte": {v.URL, header(v.Realm, v.ConsumerKey, v.TokenID, "HMAC-SHA256", v.Nonce, v.Timestamp, string(sigRaw))},
				"path byte":      {strings.Replace(v.URL, "/services/", "/servicez/", 1) + strings.Replace(strings.Replace(v.URL, v.URL, "", 1), "", "", 1), good},
				"host byte":      {strings.Replace(v.URL, ".api.", ".apj.", 1), good},
				"scheme":         {strings.Replace(v.URL, "https://", "http://", 1), good},
				"method":         {v.URL, good},
				"nonce byte":     {v.URL, header(v.Realm, v.ConsumerKey, v.TokenID, "HMAC-SHA256", v.Nonce[:len(v.Nonce)-1]+"Z", v.Timestamp, v.Signature)},
				"timestamp":      {v.URL, header(v.Realm, v.ConsumerKey, v.TokenID, "HMAC-SHA256", v.Nonce, v.Timestamp+1, v.Signature)},
				"realm case":     {v.URL, header(strings.ToLower(v.Realm)+"x", v.ConsumerKey, v.TokenID, "HMAC-SHA256", v.Nonce, v.Timestamp, v.Signature)},
				"consumer key":   {v.URL, header(v.Realm, v.ConsumerKey+"0", v.TokenID, "HMAC-SHA256", v.Nonce, v.Timestamp, v.Signature)},
				"hmac-sha1":      {v.URL, header(v.Realm, v.ConsumerKey, v.TokenID, "HMAC-SHA1", v.Nonce, v.Timestamp, v.Signature)},
			}
			if strings.Contains(v.URL, "?") {
				mutations["query byte"] = [2]string{v.URL + "x", good}
			} else {
				mutations["query added"] = [2]string{v.URL + "?x=1", good}
			}
			if !strings.Contains(v.URL, "/services/") {
				mutations["path byte"] = [2]string{strings.Replace(v.URL, "/app/", "/apq/", 1), good}
			}
			for name, m := range mutations {
				t.Run(name, func(t *testing.T) {
					srv := newSrv()
					method := v.Method
					if name == "method" {
						method = map[string]string{"GET": "PUT", "POST": "PUT"}[method]
					}
					w := serve(srv, method, m[0], m[1])
					assert.Equal(t, 401, w.Code, "a changed %s must be rejected", name)
					assert.Contains(t, w.Header().Get("WWW-Authenticate"), `error="token_rejected"`)
					assert.Contains(t, w.Body.String(), "INVALID_LOGIN")
				})
			}
		})
	}
}

func TestTBAChecks(t *testing.T) {
	now := time.Unix(1700000000, 0)
	srv := netsuitetest.NewServer(netsuitetest.WithClock(func() time.Time { return now }))
	defer srv.Close()
	send := func(tba netsuite.TBA) (int, string) {
		cfg := srv.Config()
		cfg.Auth = tba
		conn, err := netsuite.NewConnection(cfg)
		require.NoError(t, err)
		resp, err := conn.Client().Get(srv.URL + "/services/rest/record/v1/customer/107")
		require.NoError(t, err)
		resp.Body.Close()
		reqs := srv.Requests()
		return resp.StatusCode, reqs[len(reqs)-1].Reject
	}
	good := srv.TBA()
	good.Now = func() time.Time { return now }
	code, why := send(good)
	require.Equal(t, 200, code, why)

	tests := []struct {
		name   string
		mutate func(*netsuite.TBA)
		why    string
	}{
		{"clock 6 minutes behind", func(a *netsuite.TBA) { a.Now = func() time.Time { return now.Add(-6 * time.Minute) } }, "away from the server clock"},
		{"clock 6 minutes ahead", func(a *netsuite.TBA) { a.Now = func() time.Time { return now.Add(6 * time.Minute) } }, "away from the server clock"},
		{"short nonce", func(a *netsuite.TBA) { a.Nonce = func() string { return "abc" } }, "6 to 64"},
		{"long nonce", func(a *netsuite.TBA) { a.Nonce = func() string { return strings.Repeat("n", 65) } }, "6 to 64"},
		{"wrong consumer secret", func(a *netsuite.TBA) { a.ConsumerSecret += "x" }, "signature mismatch"},
		{"unknown token", func(a *netsuite.TBA) { a.TokenID += "x" }, "unknown consumer key or token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := good
			tt.mutate(&a)
			code, why := send(a)
			assert.Equal(t, 401, code)
			assert.Contains(t, why, tt.why)
		})
	}
	t.Run("within 4 minutes is accepted", func(t *testing.T) {
		a := good
		a.Now = func() time.Time { return now.Add(-4 * time.Minute) }
		code, why := send(a)
		assert.Equal(t, 200, code, why)
	})
	t.Run("revoked token", func(t *testing.T) {
		srv.RevokeTBA(good.TokenID)
		code, why := send(good)
		assert.Equal(t, 401, code)
		assert.Contains(t, why, "unknown")
	})
}

func TestRESTEndpoints(t *testing.T) {
	srv := netsuitetest.NewServer()
	defer srv.Close()
	cfg := srv.Config()
	cfg.Auth = srv.TBA()
	conn, err := netsuite.NewConnection(cfg)
	require.NoError(t, err)
	c := conn.Client()
	get := func(path string) (int, map[string]any) {
		resp, err := c.Get(srv.URL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		var v map[string]any
		json.NewDecoder(resp.Body).Decode(&v)
		return resp.StatusCode, v
	}
	code, v := get("/services/rest/record/v1/customer/107")
	assert.Equal(t, 200, code)
	assert.Equal(t, "Wolfe Electronics", v["companyName"])
	code, v = get("/services/rest/record/v1/customer")
	assert.Equal(t, 200, code)
	assert.EqualValues(t, 2, v["count"])
	code, _ = get("/services/rest/record/v1/customer/999")
	assert.Equal(t, 404, code)
	code, _ = get("/services/rest/record/v1/nosuchtype/1")
	assert.Equal(t, 400, code)

	req, _ := http.NewRequest("POST", srv.URL+"/services/rest/query/v1/suiteql?limit=10", strings.NewReader(`{"q":"SELECT id FROM customer"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 400, resp.StatusCode, "SuiteQL without Prefer: transient is refused")
	req, _ = http.NewRequest("POST", srv.URL+"/services/rest/query/v1/suiteql?limit=10", strings.NewReader(`{"q":"SELECT id FROM customer"}`))
	req.Header.Set("Prefer", "transient")
	resp, err = c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)

	req, _ = http.NewRequest("POST", srv.URL+"/app/site/hosting/restlet.nl?script=6&deploy=1", strings.NewReader(`{"x":1}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err = c.Do(req)
	require.NoError(t, err)
	var echo map[string]any
	json.NewDecoder(resp.Body).Decode(&echo)
	resp.Body.Close()
	assert.Equal(t, `{"x":1}`, echo["body"])
	assert.Equal(t, "6", echo["script"])
}

func TestFaultsAndRecord(t *testing.T) {
	srv := netsuitetest.NewServer()
	defer srv.Close()
	srv.FailNext(2, 429, "")
	cfg := srv.Config()
	cfg.Auth = srv.TBA()
	cfg.Retry = netsuite.NoRetry
	conn, err := netsuite.NewConnection(cfg)
	require.NoError(t, err)
	var codes []int
	for range 3 {
		resp, err := conn.Client().Get(srv.URL + "/services/rest/record/v1/metadata-catalog")
		require.NoError(t, err)
		resp.Body.Close()
		codes = append(codes, resp.StatusCode)
	}
	assert.Equal(t, []int{429, 429, 200}, codes)
	reqs := srv.Requests()
	require.Len(t, reqs, 3)
	assert.Equal(t, 429, reqs[0].Status)
	assert.Equal(t, "tba", reqs[2].Auth)
	assert.NotEqual(t, reqs[1].Nonce, reqs[2].Nonce)
}
