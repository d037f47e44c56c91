// Command m2m calls NetSuite with OAuth 2.0 client credentials (machine to
// machine): a JWT assertion signed with the certificate's private key is
// exchanged for an access token, which the Connection caches and refreshes.
//
// Against a real account set NETSUITE_ACCOUNT_ID, NETSUITE_CLIENT_ID,
// NETSUITE_CERTIFICATE_ID and NETSUITE_PRIVATE_KEY (a PEM file, or a .pfx
// with NETSUITE_PFX_PASSWORD); make the key with `nsauth keygen`. Without
// them it runs against the fake NetSuite of package netsuitetest.
//
//	go run ./examples/m2m
package main

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/suitekit/netsuite"
	"github.com/suitekit/netsuite/netsuitetest"
)

func main() {
	var cfg netsuite.Config
	if os.Getenv("NETSUITE_ACCOUNT_ID") == "" {
		srv := netsuitetest.NewServer()
		defer srv.Close()
		cfg = srv.Config()
		cfg.Auth = srv.ClientCredentials()
		fmt.Println("NETSUITE_ACCOUNT_ID is not set: using a fake NetSuite at", srv.URL)
	} else {
		key, cert, err := netsuite.LoadKeyFile(os.Getenv("NETSUITE_PRIVATE_KEY"), os.Getenv("NETSUITE_PFX_PASSWORD"))
		if err != nil {
			log.Fatal(err) // says what is wrong with the file and what NetSuite accepts
		}
		cfg = netsuite.Config{
			AccountID: os.Getenv("NETSUITE_ACCOUNT_ID"),
			Auth: netsuite.ClientCredentials{
				ClientID:      os.Getenv("NETSUITE_CLIENT_ID"),
				CertificateID: os.Getenv("NETSUITE_CERTIFICATE_ID"),
				Key:           key,
				Certificate:   cert, // may be nil; when set it is checked and sent as x5t#256
			},
		}
	}
	conn, err := netsuite.NewConnection(cfg) // validates key, algorithm and certificate before any call
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close() // stops the background token refresh

	ctx := context.Background()
	if err := conn.TestConnection(ctx); err != nil {
		log.Fatal(err) // a *TokenError says what the token endpoint refused and what to check
	}
	tok, err := conn.TokenSource().Token() // the same cached token, for use elsewhere
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("connected to %s; access token valid until %s\n", conn.Account(), tok.Expiry.Format("15:04:05"))
}
