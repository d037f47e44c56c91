package netsuite_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/suitekit/netsuite"
	"github.com/suitekit/netsuite/netsuitetest"
)

func ExampleParseAccount() {
	for _, s := range []string{"1234567-sb1", "https://1234567.app.netsuite.com/app/center/card.nl", "tstdrv1234567"} {
		a, err := netsuite.ParseAccount(s)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(a.ID(), a.RESTURL())
	}
	_, err := netsuite.ParseAccount("1234567.evil.example")
	fmt.Println(errors.Is(err, netsuite.ErrInvalidConfig))
	// Output:
	// 1234567_SB1 https://1234567-sb1.suitetalk.api.netsuite.com
	// 1234567 https://1234567.suitetalk.api.netsuite.com
	// TSTDRV1234567 https://tstdrv1234567.suitetalk.api.netsuite.com
	// true
}

// A Connection with Token-Based Authentication. Against a real account,
// leave BaseURL empty and set AccountID (e.g. "1234567_SB1"); here the
// fake NetSuite of package netsuitetest stands in for it.
func ExampleNewConnection_tba() {
	srv := netsuitetest.NewServer()
	defer srv.Close()
	creds := srv.TBA() // in production: from your secret store

	conn, err := netsuite.NewConnection(netsuite.Config{
		BaseURL:   srv.URL,                       // production: omit, the default comes from AccountID
		AccountID: netsuitetest.DefaultAccountID, // "1234567_SB1"
		Auth: netsuite.TBA{
			ConsumerKey:    creds.ConsumerKey,
			ConsumerSecret: creds.ConsumerSecret,
			TokenID:        creds.TokenID,
			TokenSecret:    creds.TokenSecret,
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	resp, err := conn.Client().Get(conn.BaseURL() + "/services/rest/record/v1/customer/107")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status, strings.Contains(string(body), "Wolfe Electronics"))
	// Output: 200 OK true
}

// TestConnection as a health check: nil when NetSuite answers, otherwise an
// error that says why and where to look.
func ExampleConnection_TestConnection() {
	srv := netsuitetest.NewServer()
	defer srv.Close()
	cfg := srv.Config()
	creds := srv.TBA()
	creds.TokenSecret = "a-wrong-secret"
	cfg.Auth = creds
	conn, err := netsuite.NewConnection(cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	err = conn.TestConnection(context.Background())
	var nsErr *netsuite.Error
	if errors.As(err, &nsErr) {
		fmt.Println(nsErr.Status, nsErr.Code(), netsuite.IsAuthFailure(err))
		fmt.Println(strings.Contains(nsErr.Hint, "View Login Audit Trail"))
	}
	// Output:
	// 401 Unauthorized INVALID_LOGIN true
	// true
}

// CheckResponse turns a NetSuite error answer to your own request into an
// *Error.
func ExampleCheckResponse() {
	srv := netsuitetest.NewServer()
	defer srv.Close()
	cfg := srv.Config()
	cfg.Auth = srv.TBA()
	conn, err := netsuite.NewConnection(cfg)
	if err != nil {
		log.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, conn.BaseURL()+"/services/rest/record/v1/customer/999", nil)
	resp, err := conn.Client().Do(req)
	if err != nil {
		log.Fatal(err)
	}
	if err := netsuite.CheckResponse(resp); err != nil {
		fmt.Println(err)
	}
	// Output:
	// netsuite: GET /services/rest/record/v1/customer/999: 404 Not Found: NONEXISTENT_ID: The record instance does not exist. Provide a valid record instance ID.
}

// Client credentials (machine to machine). In production the key comes
// from a .pfx or PEM file (LoadKeyFile) or a KMS (any crypto.Signer), and
// the certificate ID from NetSuite's M2M setup page.
func ExampleNewConnection_clientCredentials() {
	srv := netsuitetest.NewServer()
	defer srv.Close()
	fake := srv.ClientCredentials() // a key and certificate registered with the fake

	conn, err := netsuite.NewConnection(netsuite.Config{
		BaseURL:   srv.URL, // production: omit
		AccountID: netsuitetest.DefaultAccountID,
		Auth: netsuite.ClientCredentials{
			ClientID:      fake.ClientID,
			CertificateID: fake.CertificateID,
			Key:           fake.Key,
			Certificate:   fake.Certificate,
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	for range 3 {
		if err := conn.TestConnection(context.Background()); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println("token requests:", srv.TokenRequests())
	// Output: token requests: 1
}

// Refusals happen in NewConnection, before any network call, and say what
// NetSuite accepts.
func ExampleClientCredentials_algorithm() {
	srv := netsuitetest.NewServer()
	defer srv.Close()
	cc := srv.ClientCredentials()
	cc.Algorithm = "RS256"
	cfg := srv.Config()
	cfg.Auth = cc
	_, err := netsuite.NewConnection(cfg)
	fmt.Println(errors.Is(err, netsuite.ErrUnsupportedAlgorithm))
	// Output: true
}

// Generate runs the browser login; here a goroutine plays the browser
// against the fake NetSuite. In a terminal program, set OpenBrowser to
// something that opens the system browser, and Out to os.Stderr.
func ExampleConnection_Generate() {
	srv := netsuitetest.NewServer()
	defer srv.Close()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)

	cfg := srv.Config()
	ac := srv.AuthorizationCode() // ClientID, ClientSecret, RedirectURL: http://127.0.0.1:0/callback
	ac.Store = netsuite.NewFileStore(filepath.Join(dir, "tokens.json"))
	cfg.Auth = ac
	conn, err := netsuite.NewConnection(cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	auth, err := conn.Generate(context.Background(), netsuite.GenerateOptions{
		OpenBrowser: func(_ context.Context, url string) error {
			go http.Get(url) // a real browser follows NetSuite's redirect to the callback
			return nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("logged in to", auth.Company)
	fmt.Println(conn.TestConnection(context.Background()))
	// Output:
	// logged in to 1234567_SB1
	// <nil>
}

// A web application owns its callback: AuthCodeURL starts, ParseCallback
// checks the state, Exchange trades the code.
func ExampleConnection_AuthCodeURL() {
	srv := netsuitetest.NewServer()
	defer srv.Close()
	cfg := srv.Config()
	ac := srv.AuthorizationCode()
	ac.RedirectURL = "https://app.example.com/netsuite/callback" // loopback or not, as registered
	srv.AddAuthCodeClient(netsuitetest.AuthCodeClient{ClientID: ac.ClientID, ClientSecret: ac.ClientSecret, RedirectURI: ac.RedirectURL})
	cfg.Auth = ac
	conn, err := netsuite.NewConnection(cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	req, err := conn.AuthCodeURL("") // keep req.State and req.Verifier in the user's session
	if err != nil {
		log.Fatal(err)
	}
	// The user's browser goes to req.URL and comes back to the callback:
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(req.URL)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	callback, _ := url.Parse(resp.Header.Get("Location"))

	cb, err := netsuite.ParseCallback(callback.Query(), req.State)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := conn.Exchange(context.Background(), cb.Code, req.Verifier); err != nil {
		log.Fatal(err)
	}
	fmt.Println(cb.Company, conn.TestConnection(context.Background()))
	// Output: 1234567_SB1 <nil>
}
