package netsuite

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"

	"github.com/suitekit/netsuite/internal/keys"
	"github.com/suitekit/netsuite/internal/tokencache"
)

// ClientCredentials is OAuth 2.0 client credentials (machine to machine):
// for every access token, a JWT assertion signed with the private key of a
// certificate uploaded to NetSuite is exchanged at the token endpoint.
// Access tokens are cached and re-minted before they expire.
//
// The NetSuite side: an integration record with the Client Credentials
// (Machine to Machine) grant, and on Setup > Integration > OAuth 2.0 Client
// Credentials (M2M) Setup a mapping of (integration, entity, role) to the
// certificate, which yields the Certificate ID.
//
// ClientCredentials is plain data; put it in Config.Auth. Its String,
// Format and LogValue methods never show the key.
type ClientCredentials struct {
	// ClientID is the integration record's client ID: the assertion's
	// issuer (iss). Required.
	ClientID string

	// CertificateID is the Certificate ID from the M2M setup page: the
	// assertion's key ID (kid). Required.
	CertificateID string

	// Key is the certificate's private key: RSA (3072 or 4096 bits) or EC
	// (P-256, P-384, P-521). Any crypto.Signer works, so a key held by a
	// KMS or HSM can sign. LoadPKCS12 and LoadPEM read key files. Required.
	Key crypto.Signer

	// Certificate is the certificate uploaded to NetSuite. Optional; when
	// set, NewConnection checks that it matches Key and is within its
	// validity period, and the assertion carries its x5t#256 thumbprint.
	Certificate *x509.Certificate

	// Thumbprint sets the x5t#256 header explicitly (base64url SHA-256 of
	// the certificate DER) when Certificate is not given.
	Thumbprint string

	// Algorithm is the JWS algorithm: PS256, PS384, PS512 (RSA keys) or
	// ES256, ES384, ES512 (EC keys, by curve). Default: PS256 for RSA, the
	// curve's ES algorithm for EC. RS256/RS384/RS512 are refused: NetSuite
	// no longer accepts them and answers with an opaque 500 server_error.
	Algorithm string

	// Scopes are the scope claim's values. Default: rest_webservices.
	Scopes []string

	// ScopeAsArray sends the scope claim as a JSON array instead of a
	// comma-separated string (NetSuite accepts both).
	ScopeAsArray bool

	// TokenURL is the access token URL. Default: the account's
	// https://<account>.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token
	// (or the same path on the Base URL's host when that is not a NetSuite
	// host).
	TokenURL string

	// Audience is the aud claim. Leave it empty: it is always the token URL,
	// and a different value is refused with an explanation.
	Audience string

	// Subject is the optional sub claim.
	Subject string

	// Expiration is the assertion's lifetime (exp - iat). Default: 5
	// minutes; NetSuite needs less than 60.
	Expiration time.Duration

	// NewJTI generates the jti claim, which must be unique per assertion.
	// Default: 128 random bits, base64url.
	NewJTI func() string

	// ExtraClaims are added to the assertion's claims. The registered
	// claims (iss, aud, iat, exp, jti, scope) are set by this package: an
	// extra claim of the same name is refused unless its value equals ours,
	// so "scope = rest_webservices", which some tools require as an extended
	// claim, is harmless here and never needed.
	ExtraClaims map[string]any

	// TokenParams are extra name/value pairs for the token request body
	// ("Add Access Token Parameter").
	TokenParams url.Values
}

// Assertion lifetime settings.
const (
	// DefaultAssertionLifetime is the default ClientCredentials.Expiration.
	DefaultAssertionLifetime = 5 * time.Minute
	// maxAssertionLifetime is NetSuite's bound: exp - iat must be less.
	maxAssertionLifetime = 60 * time.Minute
	// assertionBackdate is how far iat is set in the past, so that a local
	// clock a few seconds ahead of NetSuite's does not make iat "future".
	assertionBackdate = 5 * time.Second
)

// Bind validates the settings — before any network call — and returns the
// live authenticator with its token cache. It implements Authenticator.
func (cc ClientCredentials) Bind(b Binding) (RequestAuthenticator, error) {
	m, err := cc.minter(b)
	if err != nil {
		return nil, err
	}
	tc := &tokenCall{client: b.HTTPClient, userAgent: b.UserAgent, hint: clientCredentialsHint}
	fetch := func(ctx context.Context) (*oauth2.Token, error) {
		assertion, err := m.assertion(time.Now())
		if err != nil {
			return nil, err
		}
		call := *tc
		call.endpoint = m.tokenURL
		call.form = m.form(assertion)
		return call.exchange(ctx)
	}
	return newBearer(tokencache.Options{
		Fetch: fetch,
		OnRefreshError: func(err error) {
			b.Logger.Warn("netsuite: background token refresh failed; the current token is still used", "error", err)
		},
	}), nil
}

// minter signs client assertions for one ClientCredentials.
type minter struct {
	method     *signerMethod
	key        crypto.Signer
	kid, x5t   string
	tokenURL   string
	claims     jwt.MapClaims // fixed claims: iss, scope, aud, sub, extras
	lifetime   time.Duration
	newJTI     func() string
	tokenExtra url.Values
}

// minter validates cc and prepares everything that does not change between
// assertions.
func (cc ClientCredentials) minter(b Binding) (*minter, error) {
	for _, f := range []struct{ name, value string }{
		{"ClientCredentials.ClientID", cc.ClientID}, {"ClientCredentials.CertificateID", cc.CertificateID},
	} {
		if err := checkCredential(f.name, f.value); err != nil {
			return nil, err
		}
	}
	if cc.Key == nil {
		return nil, &ConfigError{Field: "ClientCredentials.Key", Problem: "it is nil",
			Accepted: "the certificate's private key: netsuite.LoadPKCS12 reads a .pfx, netsuite.LoadPEM a PEM file; any crypto.Signer works"}
	}
	alg := cc.Algorithm
	if alg == "" {
		var err error
		if alg, err = keys.DefaultAlg(cc.Key.Public()); err != nil {
			return nil, &ConfigError{Field: "ClientCredentials.Key", Problem: trimPrefix(err), Err: err}
		}
	}
	warnings, err := keys.Check(cc.Key, cc.Certificate, alg, time.Now())
	if err != nil {
		field := "ClientCredentials.Key"
		switch {
		case errors.Is(err, keys.ErrUnsupportedAlg):
			field = "ClientCredentials.Algorithm"
		case errors.Is(err, keys.ErrCertificateExpired), errors.Is(err, keys.ErrCertificateNotYetValid), errors.Is(err, keys.ErrKeyMismatch):
			field = "ClientCredentials.Certificate"
		}
		return nil, &ConfigError{Field: field, Problem: trimPrefix(err), Err: err}
	}
	for _, w := range warnings {
		b.Logger.Warn(w, "certificate_id", cc.CertificateID)
	}
	m := &minter{method: signingMethods[alg], key: cc.Key, kid: cc.CertificateID, newJTI: cc.NewJTI, lifetime: cc.Expiration}
	if m.x5t, err = cc.thumbprint(); err != nil {
		return nil, err
	}
	if m.tokenURL, err = tokenEndpointURL("ClientCredentials.TokenURL", cc.TokenURL, b.TokenURL, b); err != nil {
		return nil, err
	}
	if cc.Audience != "" && cc.Audience != m.tokenURL {
		return nil, &ConfigError{Field: "ClientCredentials.Audience",
			Problem:  fmt.Sprintf("it is %s, but NetSuite requires aud to be the token URL the assertion is posted to, %s", quoteInput(cc.Audience), m.tokenURL),
			Accepted: "leave it empty: the audience is always the token URL"}
	}
	switch {
	case m.lifetime == 0:
		m.lifetime = DefaultAssertionLifetime
	case m.lifetime < 2*assertionBackdate || m.lifetime >= maxAssertionLifetime:
		return nil, &ConfigError{Field: "ClientCredentials.Expiration", Problem: fmt.Sprintf("it is %s", cc.Expiration),
			Accepted: "more than 10 seconds and less than 60 minutes (NetSuite refuses exp - iat of 60 minutes or more); default 5 minutes"}
	}
	if m.newJTI == nil {
		m.newJTI = rand.Text
	}
	scopes, err := checkScopes("ClientCredentials.Scopes", cc.Scopes)
	if err != nil {
		return nil, err
	}
	var scope any = strings.Join(scopes, ",")
	if cc.ScopeAsArray {
		scope = scopes
	}
	m.claims = jwt.MapClaims{"iss": cc.ClientID, "scope": scope, "aud": m.tokenURL}
	if cc.Subject != "" {
		m.claims["sub"] = cc.Subject
	}
	if err := mergeExtraClaims(m.claims, cc.ExtraClaims, scopes); err != nil {
		return nil, err
	}
	if m.tokenExtra, err = checkTokenParams("ClientCredentials.TokenParams", cc.TokenParams,
		"grant_type", "client_assertion_type", "client_assertion"); err != nil {
		return nil, err
	}
	return m, nil
}

// thumbprint returns the x5t#256 header value, if any.
func (cc ClientCredentials) thumbprint() (string, error) {
	computed := keys.Thumbprint(cc.Certificate)
	switch {
	case cc.Thumbprint == "":
		return computed, nil
	case computed != "" && cc.Thumbprint != computed:
		return "", &ConfigError{Field: "ClientCredentials.Thumbprint",
			Problem:  "it does not match ClientCredentials.Certificate (x5t#256 " + computed + ")",
			Accepted: "leave it empty when Certificate is set: it is computed"}
	}
	raw, err := base64.RawURLEncoding.DecodeString(cc.Thumbprint)
	if err != nil || len(raw) != sha256.Size {
		return "", &ConfigError{Field: "ClientCredentials.Thumbprint", Problem: "it is not a base64url SHA-256 digest (43 characters, no padding)",
			Accepted: "the x5t#256 value printed by 'nsauth keygen', or leave it empty"}
	}
	return cc.Thumbprint, nil
}

// assertion signs a new client assertion: a fresh jti, iat and exp.
func (m *minter) assertion(now time.Time) (string, error) {
	iat := now.Add(-assertionBackdate)
	claims := make(jwt.MapClaims, len(m.claims)+3)
	for k, v := range m.claims {
		claims[k] = v
	}
	claims["iat"] = iat.Unix()
	claims["exp"] = iat.Add(m.lifetime).Unix()
	claims["jti"] = m.newJTI()
	t := jwt.NewWithClaims(m.method, claims)
	t.Header["kid"] = m.kid
	if m.x5t != "" {
		t.Header["x5t#256"] = m.x5t
	}
	s, err := t.SignedString(m.key)
	if err != nil {
		return "", fmt.Errorf("netsuite: signing the client assertion with %s: %w", m.method.alg, err)
	}
	return s, nil
}

// form is the token request body for an assertion.
func (m *minter) form(assertion string) url.Values {
	f := url.Values{
		"grant_type":            {"client_credentials"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {assertion},
	}
	for k, v := range m.tokenExtra {
		f[k] = v
	}
	return f
}

// clientCredentialsHint says what to check after a failed client-credentials
// token request.
func clientCredentialsHint(e *TokenError) string {
	switch {
	case e.ErrorCode == "server_error" || e.StatusCode >= 500:
		return "NetSuite answers 500 server_error to assertions it cannot use: check that the algorithm is " +
			"PS256/PS384/PS512 or ES256/ES384/ES512 (RS256 is no longer accepted), that the certificate ID (kid) " +
			"is the one on the M2M setup page, and that its mapping (integration, entity, role) is active"
	case e.ErrorCode == "invalid_scope":
		return "enable the scope on the integration record (Setup > Integration > Manage Integrations), or change ClientCredentials.Scopes"
	case e.ErrorCode == "invalid_client", e.ErrorCode == "invalid_grant", e.ErrorCode == "unauthorized_client", e.StatusCode == http.StatusUnauthorized:
		return "the reason is in the Login Audit Trail (" + loginAuditTrail + "); check that the client ID is the " +
			"integration's, the certificate ID and its mapping are active, the certificate has not expired, " +
			"and the clock is right (iat/exp)"
	}
	return ""
}

// String shows identifiers only, never the key.
func (cc ClientCredentials) String() string {
	alg := cc.Algorithm
	if alg == "" {
		alg = "default"
	}
	key := "<nil>"
	if cc.Key != nil {
		key = "[redacted: " + keys.Describe(cc.Key.Public()) + "]"
	}
	return fmt.Sprintf("netsuite.ClientCredentials{ClientID:%s CertificateID:%s Algorithm:%s Key:%s}",
		shortID(cc.ClientID), cc.CertificateID, alg, key)
}

// Format makes every fmt verb print String.
func (cc ClientCredentials) Format(f fmt.State, verb rune) { io.WriteString(f, cc.String()) }

// LogValue shows identifiers only, never the key.
func (cc ClientCredentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("type", "ClientCredentials"),
		slog.String("client_id", shortID(cc.ClientID)), slog.String("certificate_id", cc.CertificateID))
}

var _ Authenticator = ClientCredentials{}

// reservedClaims are set by this package on every assertion.
var reservedClaims = []string{"iss", "aud", "iat", "exp", "jti", "scope", "sub"}

// mergeExtraClaims adds extra claims to claims. An extra claim named like a
// reserved one is accepted only when it says the same thing, so that a
// "scope = rest_webservices" extended claim carried over from another tool
// is harmless.
func mergeExtraClaims(claims jwt.MapClaims, extra map[string]any, scopes []string) error {
	for name, v := range extra {
		if !slices.Contains(reservedClaims, name) {
			claims[name] = v
			continue
		}
		cur, set := claims[name]
		switch {
		case name == "scope" && sameScopes(v, scopes):
		case name == "sub" && !set:
			claims[name] = v
		case set && fmt.Sprint(cur) == fmt.Sprint(v):
		default:
			return &ConfigError{Field: "ClientCredentials.ExtraClaims",
				Problem:  fmt.Sprintf("claim %q is set by this package (from %s) and the extra value differs", name, claimSource(name)),
				Accepted: "leave the registered claims (iss, aud, iat, exp, jti, scope, sub) to the matching fields, or give the same value"}
		}
	}
	return nil
}

// sameScopes reports whether a scope claim value names exactly scopes.
func sameScopes(v any, scopes []string) bool {
	var names []string
	switch s := v.(type) {
	case string:
		names = strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
	case []string:
		names = s
	case []any:
		for _, x := range s {
			str, ok := x.(string)
			if !ok {
				return false
			}
			names = append(names, str)
		}
	default:
		return false
	}
	a, b := slices.Clone(names), slices.Clone(scopes)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

func claimSource(name string) string {
	switch name {
	case "iss":
		return "ClientID"
	case "aud":
		return "TokenURL"
	case "scope":
		return "Scopes"
	case "sub":
		return "Subject"
	}
	return "the current time and NewJTI"
}
