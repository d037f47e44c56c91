package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/suitekit/netsuite"
)

// m2mFlags are the client-credentials settings.
type m2mFlags struct {
	clientID, certificateID string
	privateKey, certificate string
	pfx, pfxPasswordFile    string
	algorithm, scopes       string
}

func (f *m2mFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.clientID, "client-id", "", "OAuth 2.0 client ID (env NETSUITE_CLIENT_ID)")
	fs.StringVar(&f.certificateID, "certificate-id", "", "M2M Certificate ID (env NETSUITE_CERTIFICATE_ID)")
	fs.StringVar(&f.privateKey, "private-key", "", "PEM private key file (env NETSUITE_PRIVATE_KEY)")
	fs.StringVar(&f.certificate, "certificate", "", "PEM certificate file, optional (env NETSUITE_CERTIFICATE)")
	fs.StringVar(&f.pfx, "pfx", "", ".pfx/.p12 file with key and certificate (env NETSUITE_PFX)")
	fs.StringVar(&f.pfxPasswordFile, "pfx-password-file", "", "file holding the .pfx password (env NETSUITE_PFX_PASSWORD or NETSUITE_PFX_PASSWORD_FILE)")
	fs.StringVar(&f.algorithm, "algorithm", "", "JWS algorithm (env NETSUITE_ALGORITHM); default PS256 for RSA, ES* by curve")
	fs.StringVar(&f.scopes, "scopes", "", "comma-separated scopes (env NETSUITE_SCOPES); default rest_webservices")
}

// credentials builds ClientCredentials from flags and environment.
func (f *m2mFlags) credentials(env *environment) (netsuite.Authenticator, error) {
	cc := netsuite.ClientCredentials{
		ClientID:      setting(env, f.clientID, "NETSUITE_CLIENT_ID"),
		CertificateID: setting(env, f.certificateID, "NETSUITE_CERTIFICATE_ID"),
		Algorithm:     setting(env, f.algorithm, "NETSUITE_ALGORITHM"),
	}
	if s := setting(env, f.scopes, "NETSUITE_SCOPES"); s != "" {
		for _, scope := range strings.Split(s, ",") {
			cc.Scopes = append(cc.Scopes, strings.TrimSpace(scope))
		}
	}
	keyFile := setting(env, f.privateKey, "NETSUITE_PRIVATE_KEY")
	pfxFile := setting(env, f.pfx, "NETSUITE_PFX")
	if err := requireSettings(map[string]string{
		"NETSUITE_CLIENT_ID": cc.ClientID, "NETSUITE_CERTIFICATE_ID": cc.CertificateID,
		"NETSUITE_PRIVATE_KEY (or NETSUITE_PFX)": keyFile + pfxFile,
	}); err != nil {
		return nil, err
	}
	var err error
	switch {
	case keyFile != "" && pfxFile != "":
		return nil, fmt.Errorf("both NETSUITE_PRIVATE_KEY and NETSUITE_PFX are set: use one")
	case pfxFile != "":
		password, err := secret(env, f.pfxPasswordFile, "NETSUITE_PFX_PASSWORD")
		if err != nil {
			return nil, err
		}
		if cc.Key, cc.Certificate, err = netsuite.LoadKeyFile(pfxFile, password); err != nil {
			return nil, fmt.Errorf("%s: %w", pfxFile, err)
		}
	default:
		data, err := os.ReadFile(keyFile)
		if err != nil {
			return nil, fmt.Errorf("reading the private key: %w", err)
		}
		if certFile := setting(env, f.certificate, "NETSUITE_CERTIFICATE"); certFile != "" {
			c, err := os.ReadFile(certFile)
			if err != nil {
				return nil, fmt.Errorf("reading the certificate: %w", err)
			}
			data = append(append(data, '\n'), c...)
		}
		if cc.Key, cc.Certificate, err = netsuite.LoadPEM(data, ""); err != nil {
			return nil, fmt.Errorf("%s: %w", keyFile, err)
		}
	}
	return cc, err
}
