// Command healthcheck serves /healthz, which calls TestConnection: 200 when
// NetSuite accepts the credentials, 503 with the reason otherwise. This is
// how a service exposes its NetSuite dependency to a load balancer or
// Kubernetes probe.
//
// Without NETSUITE_ACCOUNT_ID it runs against the fake NetSuite of package
// netsuitetest, checks itself once and exits; with it, it listens on :8080.
package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/suitekit/netsuite"
	"github.com/suitekit/netsuite/netsuitetest"
)

func healthz(conn *netsuite.Connection) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		if err := conn.TestConnection(ctx); err != nil {
			// The message names status, NetSuite's code and where to look;
			// it never contains a credential.
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	}
}

func main() {
	cfg := netsuite.Config{
		AccountID: os.Getenv("NETSUITE_ACCOUNT_ID"),
		Auth: netsuite.TBA{
			ConsumerKey:    os.Getenv("NETSUITE_CONSUMER_KEY"),
			ConsumerSecret: os.Getenv("NETSUITE_CONSUMER_SECRET"),
			TokenID:        os.Getenv("NETSUITE_TOKEN_ID"),
			TokenSecret:    os.Getenv("NETSUITE_TOKEN_SECRET"),
		},
	}
	demo := cfg.AccountID == ""
	if demo {
		srv := netsuitetest.NewServer()
		defer srv.Close()
		cfg = srv.Config()
		cfg.Auth = srv.TBA()
	}
	conn, err := netsuite.NewConnection(cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	mux := http.NewServeMux()
	mux.Handle("/healthz", healthz(conn))
	if demo {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
		fmt.Printf("GET /healthz against a fake NetSuite: %d %s", rec.Code, rec.Body.String())
		return
	}
	log.Fatal(http.ListenAndServe(":8080", mux))
}
