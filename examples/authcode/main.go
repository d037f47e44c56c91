// Command authcode is a web application that owns its OAuth 2.0 callback:
// /login sends the user to NetSuite with a fresh state and PKCE verifier
// (kept server-side), /callback checks the state, exchanges the code and
// saves the tokens, and /customer calls NetSuite with them. The Connection
// refreshes the access token by itself afterwards, through the token
// store shared by every replica.
//
// Without NETSUITE_ACCOUNT_ID it runs against the fake NetSuite of package
// netsuitetest and plays the browser itself, then exits.
package main

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"

	"github.com/suitekit/netsuite"
	"github.com/suitekit/netsuite/netsuitetest"
)

// app is the web application.
type app struct {
	conn *netsuite.Connection
	mu   sync.Mutex
	// pending maps state to PKCE verifier. A real application keeps this in
	// the user's server-side session.
	pending map[string]string
}

func (a *app) login(w http.ResponseWriter, r *http.Request) {
	req, err := a.conn.AuthCodeURL("") // random state, PKCE S256
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	a.mu.Lock()
	a.pending[req.State] = req.Verifier
	a.mu.Unlock()
	http.Redirect(w, r, req.URL, http.StatusFound)
}

func (a *app) callback(w http.ResponseWriter, r *http.Request) {
	state := r.URL.Query().Get("state")
	a.mu.Lock()
	verifier, ok := a.pending[state]
	delete(a.pending, state) // one use
	a.mu.Unlock()
	if !ok {
		http.Error(w, "unknown login attempt; start again at /login", http.StatusBadRequest)
		return
	}
	cb, err := netsuite.ParseCallback(r.URL.Query(), state) // state first, then error= or the code
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if _, err := a.conn.Exchange(r.Context(), cb.Code, verifier); err != nil { // saved to the Store
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	fmt.Fprintf(w, "connected to NetSuite account %s\n", cb.Company)
}

func (a *app) customer(w http.ResponseWriter, r *http.Request) {
	req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, a.conn.BaseURL()+"/services/rest/record/v1/customer/107", nil)
	resp, err := a.conn.Client().Do(req)
	if err == nil {
		err = netsuite.CheckResponse(resp)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway) // ErrReauthorize: send the user to /login
		return
	}
	defer resp.Body.Close()
	io.Copy(w, resp.Body)
}

func main() {
	dir, err := os.MkdirTemp("", "authcode-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	store := netsuite.NewFileStore(filepath.Join(dir, "tokens.json")) // many replicas: a TokenStore over your database

	var cfg netsuite.Config
	demo := os.Getenv("NETSUITE_ACCOUNT_ID") == ""
	if demo {
		srv := netsuitetest.NewServer()
		defer srv.Close()
		cfg = srv.Config()
		ac := srv.AuthorizationCode()
		ac.RedirectURL = "http://127.0.0.1:8080/callback"
		ac.Store = store
		cfg.Auth = ac
	} else {
		cfg = netsuite.Config{
			AccountID: os.Getenv("NETSUITE_ACCOUNT_ID"),
			Auth: netsuite.AuthorizationCode{
				ClientID:     os.Getenv("NETSUITE_CLIENT_ID"),
				ClientSecret: os.Getenv("NETSUITE_CLIENT_SECRET"),
				RedirectURL:  "http://127.0.0.1:8080/callback", // as on the integration record
				Store:        store,
			},
		}
	}
	conn, err := netsuite.NewConnection(cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	a := &app{conn: conn, pending: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/login", a.login)
	mux.HandleFunc("/callback", a.callback)
	mux.HandleFunc("/customer", a.customer)
	if !demo {
		log.Print("open http://127.0.0.1:8080/login")
		log.Fatal(http.ListenAndServe("127.0.0.1:8080", mux))
	}

	// Demo: play the browser against the fake NetSuite.
	web := httptest.NewServer(mux)
	defer web.Close()
	jar := &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Path == "/callback" { // the fake redirects to :8080; deliver it to our test server
			req.URL.Host = web.Listener.Addr().String()
		}
		return nil
	}}
	resp, err := jar.Get(web.URL + "/login")
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Print(string(body))
	resp, err = http.Get(web.URL + "/customer")
	if err != nil {
		log.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(body))
}
