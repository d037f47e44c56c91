// Command tba reads a customer record through a Connection that signs every
// request with Token-Based Authentication.
//
// With NETSUITE_ACCOUNT_ID, NETSUITE_CONSUMER_KEY, NETSUITE_CONSUMER_SECRET,
// NETSUITE_TOKEN_ID and NETSUITE_TOKEN_SECRET set it talks to that account;
// without them it starts the fake NetSuite of package netsuitetest.
//
//	go run ./examples/tba [CUSTOMER-ID]
package main

import (
	"fmt"
	"io"
	"log"
	"os"

	"github.com/suitekit/netsuite"
	"github.com/suitekit/netsuite/netsuitetest"
)

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
	if cfg.AccountID == "" {
		srv := netsuitetest.NewServer()
		defer srv.Close()
		cfg = srv.Config()
		cfg.Auth = srv.TBA()
		fmt.Println("NETSUITE_ACCOUNT_ID is not set: using a fake NetSuite at", srv.URL)
	}
	conn, err := netsuite.NewConnection(cfg)
	if err != nil {
		log.Fatal(err) // names the bad field, never prints a secret
	}
	defer conn.Close()

	id := "107"
	if len(os.Args) > 1 {
		id = os.Args[1]
	}
	resp, err := conn.Client().Get(conn.BaseURL() + "/services/rest/record/v1/customer/" + id)
	if err != nil {
		log.Fatal(err)
	}
	if err := netsuite.CheckResponse(resp); err != nil {
		log.Fatal(err) // status, NetSuite's error code and detail, and a hint
	}
	defer resp.Body.Close()
	io.Copy(os.Stdout, resp.Body)
}
