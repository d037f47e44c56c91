package netsuite

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/suitekit/netsuite/internal/oauth1"
)

// TBA is Token-Based Authentication: OAuth 1.0a with HMAC-SHA256, every
// request signed with the integration's consumer key and secret and an
// access token's ID and secret. The realm is the account ID, taken from the
// Connection's account.
//
// TBA is plain data; put it in Config.Auth. Its String, Format and LogValue
// methods show identifiers only, never the secrets.
type TBA struct {
	// ConsumerKey and ConsumerSecret come from the integration record
	// (Setup > Integration > Manage Integrations), shown once on creation.
	ConsumerKey    string
	ConsumerSecret string

	// TokenID and TokenSecret come from the access token
	// (Setup > Users/Roles > Access Tokens), shown once on creation.
	TokenID     string
	TokenSecret string

	// Realm overrides the realm, which otherwise is the account ID of the
	// Connection (e.g. 1234567_SB1). NetSuite compares it case-sensitively.
	Realm string

	// Nonce, when set, replaces the random oauth_nonce (20+ characters from
	// crypto/rand) and Now replaces time.Now for oauth_timestamp. They exist
	// for known-answer tests; production code leaves them nil. NetSuite
	// rejects a repeated nonce.
	Nonce func() string
	Now   func() time.Time
}

// Bind validates the credentials and returns the signer. It implements
// Authenticator.
func (t TBA) Bind(b Binding) (RequestAuthenticator, error) {
	for _, f := range []struct{ name, value string }{
		{"TBA.ConsumerKey", t.ConsumerKey}, {"TBA.ConsumerSecret", t.ConsumerSecret},
		{"TBA.TokenID", t.TokenID}, {"TBA.TokenSecret", t.TokenSecret},
	} {
		if err := checkCredential(f.name, f.value); err != nil {
			return nil, err
		}
	}
	realm := b.Account.Realm()
	if t.Realm != "" && t.Realm != realm {
		if _, err := accountFromID(t.Realm); err != nil {
			return nil, withField(err, "TBA.Realm")
		}
		return nil, &ConfigError{Field: "TBA.Realm",
			Problem:  fmt.Sprintf("it is %s, but the account's realm is %s; NetSuite compares the realm case-sensitively with the account ID", quoteInput(t.Realm), realm),
			Accepted: "leave it empty (the realm comes from the account), or set Config.AccountID to the account you mean"}
	}
	if realm == "" {
		return nil, &ConfigError{Field: "TBA.Realm", Problem: "no account is known to take the realm from",
			Accepted: "set Config.AccountID, or a NetSuite Base URL"}
	}
	s := &tbaSigner{
		realm: realm, consumerKey: t.ConsumerKey, token: t.TokenID,
		key: oauth1.NewKey(t.ConsumerSecret, t.TokenSecret), nonce: t.Nonce, now: t.Now,
	}
	if s.nonce == nil {
		s.nonce = rand.Text
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// checkCredential rejects an empty value or one with surrounding white space
// (usually a line break picked up when copying), without echoing it.
func checkCredential(field, v string) error {
	switch {
	case v == "":
		return &ConfigError{Field: field, Problem: "it is empty", Accepted: "paste the value NetSuite showed when it was created"}
	case strings.TrimSpace(v) != v:
		return &ConfigError{Field: field, Problem: "it has leading or trailing white space (a line break picked up when copying?)",
			Accepted: "the value exactly as NetSuite showed it"}
	case strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return &ConfigError{Field: field, Problem: "it contains a control character", Accepted: "the value exactly as NetSuite showed it"}
	}
	return nil
}

// String shows the identifiers, shortened, and never the secrets.
func (t TBA) String() string {
	return fmt.Sprintf("netsuite.TBA{ConsumerKey:%s ConsumerSecret:%s TokenID:%s TokenSecret:%s}",
		shortID(t.ConsumerKey), mask(t.ConsumerSecret), shortID(t.TokenID), mask(t.TokenSecret))
}

// Format makes every fmt verb print String.
func (t TBA) Format(f fmt.State, verb rune) { io.WriteString(f, t.String()) }

// LogValue shows the identifiers, shortened, and never the secrets.
func (t TBA) LogValue() slog.Value {
	return slog.GroupValue(slog.String("type", "TBA"),
		slog.String("consumer_key", shortID(t.ConsumerKey)), slog.String("token_id", shortID(t.TokenID)))
}

// shortID shows the start of an identifier: enough to tell two apart.
func shortID(s string) string {
	if len(s) <= 8 {
		return s
	}
	return s[:8] + "..."
}

// mask shows whether a secret is set, nothing of its value.
func mask(s string) string {
	if s == "" {
		return `""`
	}
	return "[redacted]"
}

// tbaSigner signs each request attempt.
type tbaSigner struct {
	realm, consumerKey, token string
	key                       *oauth1.Key
	nonce                     func() string
	now                       func() time.Time
}

// baseStrings recycles base string buffers.
var baseStrings = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// maxSignedForm caps a form body read for signing.
const maxSignedForm = 8 << 20

// Authenticate signs req (owned by the Connection) with a fresh nonce and
// timestamp and sets its Authorization header.
func (s *tbaSigner) Authenticate(req *http.Request) error {
	form, err := signedForm(req)
	if err != nil {
		return err
	}
	p := oauth1.Params{ConsumerKey: s.consumerKey, Token: s.token, Nonce: s.nonce(), Timestamp: s.now().Unix()}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	u := req.URL
	if req.Host != "" && req.Host != u.Host {
		c := *u
		c.Host = req.Host // the Host header sent is what NetSuite verifies
		u = &c
	}
	bp := baseStrings.Get().(*[]byte)
	base, err := oauth1.AppendBaseString((*bp)[:0], method, u, form, p)
	if err != nil {
		baseStrings.Put(bp)
		return fmt.Errorf("netsuite: tba: cannot sign %s %s: %w", method, u.Redacted(), err)
	}
	sig := s.key.Sign(base)
	*bp = base
	baseStrings.Put(bp)
	req.Header.Set("Authorization", oauth1.Header(s.realm, p, sig))
	return nil
}

// signedForm returns the body when it is application/x-www-form-urlencoded
// (the only kind of body OAuth 1.0 signs), reading it through GetBody when
// possible so that the body to be sent is left unread.
func signedForm(req *http.Request) (string, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return "", nil
	}
	mt, _, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return "", nil
	}
	if req.GetBody != nil {
		rc, err := req.GetBody()
		if err != nil {
			return "", fmt.Errorf("netsuite: tba: cannot read the form body to sign it: %w", err)
		}
		defer rc.Close()
		b, err := readCapped(rc, maxSignedForm)
		return string(b), err
	}
	b, err := readCapped(req.Body, maxSignedForm)
	if err != nil {
		return "", err // the Connection closes the body
	}
	req.Body.Close()
	req.Body = io.NopCloser(bytes.NewReader(b))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	return string(b), nil
}

func readCapped(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("netsuite: tba: cannot read the form body to sign it: %w", err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("netsuite: tba: form body larger than %d bytes; send large data as JSON", max)
	}
	return b, nil
}

var _ Authenticator = TBA{}
