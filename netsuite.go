// Package netsuite authenticates Go HTTP clients to NetSuite's REST web
// services and RESTlets.
//
// A [Connection] holds one NetSuite account's Base URL and an
// [Authenticator]: Token-Based Authentication ([TBA], OAuth 1.0a with
// HMAC-SHA256), OAuth 2.0 client credentials ([ClientCredentials], a JWT
// assertion signed with a certificate's key) or OAuth 2.0 authorization code
// ([AuthorizationCode]). A Connection is an [http.RoundTripper], so any
// [http.Client] becomes a NetSuite client, and
// [Connection.TestConnection] is a health check that says exactly why it
// failed.
//
// Package netsuitetest provides a fake NetSuite that checks what NetSuite
// checks, for offline tests.
package netsuite

import (
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Scopes NetSuite accepts for OAuth 2.0.
const (
	ScopeRESTWebServices = "rest_webservices"
	ScopeRESTlets        = "restlets"
	ScopeSuiteAnalytics  = "suite_analytics"
)

// Host suffixes of NetSuite's services.
const (
	suiteTalkSuffix = ".suitetalk.api.netsuite.com"
	restletsSuffix  = ".restlets.api.netsuite.com"
	appSuffix       = ".app.netsuite.com"
)

// Paths relative to a service host.
const (
	authorizePath       = "/app/login/oauth2/authorize.nl"
	tokenPath           = "/services/rest/auth/oauth2/v1/token"
	revokePath          = "/services/rest/auth/oauth2/v1/revoke"
	metadataCatalogPath = "/services/rest/record/v1/metadata-catalog"
)

// maxAccountIDLen bounds an account ID; real ones are far shorter.
const maxAccountIDLen = 63

const acceptedAccount = "accepted: an account ID such as 1234567, 1234567_SB1, 1234567-sb1 or TSTDRV1234567, " +
	"made of letters, digits, '_' and '-'; or an https:// URL on a NetSuite host such as " +
	"https://1234567-sb1.suitetalk.api.netsuite.com"

// Account is a NetSuite account, parsed once from whatever spelling a user
// pasted. Its canonical ID is upper case with '_' (1234567_SB1), which is also
// the TBA realm; its host label is lower case with '-' (1234567-sb1). Every
// endpoint URL is derived from it. The zero Account is invalid.
type Account struct {
	id string
}

// ParseAccount accepts an account ID in any spelling (1234567, 1234567_SB1,
// 1234567-sb1, 1234567-SB1, tstdrv1234567, 1234567_RP), a host name, or a URL
// on any NetSuite service host (…suitetalk.api.netsuite.com,
// …restlets.api.netsuite.com, …app.netsuite.com, with any path, letter
// case, trailing slash or :443). Anything else is a *ConfigError that says
// what was wrong and what is accepted.
func ParseAccount(s string) (Account, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return Account{}, accountError(s, "it is empty")
	case strings.Contains(s, "://"):
		return accountFromURL(s, s)
	case strings.Contains(s, ".") && !strings.ContainsAny(s, "/@"):
		return accountFromURL("https://"+s, s)
	}
	return accountFromID(s)
}

func accountFromID(s string) (Account, error) {
	if len(s) > maxAccountIDLen {
		return Account{}, accountError(s, "it is longer than any NetSuite account ID")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && c != '_' && c != '-' {
			return Account{}, accountError(s, "it contains "+describeByte(s, i)+", which is not a letter, digit, '_' or '-'")
		}
	}
	if !isAlnum(s[0]) || !isAlnum(s[len(s)-1]) {
		return Account{}, accountError(s, "it must begin and end with a letter or digit")
	}
	if strings.Contains(s, "__") || strings.Contains(s, "--") || strings.Contains(s, "_-") || strings.Contains(s, "-_") {
		return Account{}, accountError(s, "it has two separators in a row")
	}
	return Account{id: strings.ToUpper(strings.ReplaceAll(s, "-", "_"))}, nil
}

// accountFromURL parses a URL; input is what the user typed, for errors.
func accountFromURL(s, input string) (Account, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Account{}, accountError(input, "it is not a valid URL")
	}
	if u.User != nil {
		return Account{}, accountError(input, "the URL has a user name or password in it")
	}
	host := strings.ToLower(u.Hostname())
	label, ok := netsuiteHostLabel(host)
	if !ok {
		if id := dottedID(host); id != "" && !strings.Contains(input, "://") {
			return Account{}, accountError(input, "an account ID has no '.'; did you mean "+id+"?")
		}
		return Account{}, accountError(input, "the host "+host+" is not a NetSuite service host "+
			"; when the URL is a proxy or a test server, set the account ID as well")
	}
	if !strings.EqualFold(u.Scheme, "https") {
		return Account{}, accountError(input, "NetSuite is reached only over https, not "+u.Scheme)
	}
	if p := u.Port(); p != "" && p != "443" {
		return Account{}, accountError(input, "NetSuite listens on port 443, not "+p)
	}
	return accountFromID(label)
}

// netsuiteHostLabel returns the account label of a NetSuite service host.
func netsuiteHostLabel(host string) (string, bool) {
	host = strings.TrimSuffix(host, ".")
	for _, suffix := range []string{suiteTalkSuffix, restletsSuffix, appSuffix} {
		if label, ok := strings.CutSuffix(host, suffix); ok && label != "" && !strings.Contains(label, ".") {
			return label, true
		}
	}
	return "", false
}

func accountError(input, problem string) error {
	return &ConfigError{Field: "account", Problem: quoteInput(input) + ": " + problem, Accepted: acceptedAccount}
}

// quoteInput quotes user input for an error message: shortened, and ASCII
// so that look-alike characters show as escapes.
func quoteInput(s string) string {
	s = redactUserinfo(s)
	const max = 80
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strconv.QuoteToASCII(s)
}

// redactUserinfo masks a password (and user name) in a URL.
func redactUserinfo(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		u.User = url.User("redacted")
		return u.String()
	}
	if i, j := strings.Index(s, "://"), strings.LastIndex(s, "@"); i >= 0 && j > i {
		return s[:i+3] + "redacted" + s[j:]
	}
	return s
}

// describeByte names the character that starts at s[i].
func describeByte(s string, i int) string {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return strconv.QuoteRuneToASCII(r)
}

// dottedID suggests the account ID a user meant by "1234567.sb1", or "".
func dottedID(s string) string {
	id, kind, ok := strings.Cut(s, ".")
	if !ok || id == "" || strings.Trim(id, "0123456789") != "" && !strings.HasPrefix(strings.ToLower(id), "tstdrv") {
		return ""
	}
	k := strings.ToUpper(kind)
	if k == "RP" || strings.HasPrefix(k, "SB") && len(k) > 2 && strings.Trim(k[2:], "0123456789") == "" {
		return strings.ToUpper(id) + "_" + k
	}
	return ""
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// ID returns the canonical account ID, e.g. 1234567_SB1.
func (a Account) ID() string { return a.id }

// Realm returns the TBA realm, which is the canonical account ID. NetSuite
// compares it case-sensitively.
func (a Account) Realm() string { return a.id }

// String returns the canonical account ID.
func (a Account) String() string { return a.id }

// IsZero reports whether a is the zero Account.
func (a Account) IsZero() bool { return a.id == "" }

// Host returns the account's host label, e.g. 1234567-sb1.
func (a Account) Host() string { return strings.ToLower(strings.ReplaceAll(a.id, "_", "-")) }

// IsSandbox reports whether the account is a sandbox (_SB…) or release
// preview (_RP) account: a copy of production into which tokens and OAuth 2.0
// grants are never copied.
func (a Account) IsSandbox() bool {
	i := strings.LastIndexByte(a.id, '_')
	if i < 0 {
		return false
	}
	suffix := a.id[i+1:]
	return suffix == "RP" || len(suffix) > 2 && strings.HasPrefix(suffix, "SB") && strings.Trim(suffix[2:], "0123456789") == ""
}

// RESTURL returns the REST web services base URL, the default Base URL:
// https://<host>.suitetalk.api.netsuite.com.
func (a Account) RESTURL() string { return "https://" + a.Host() + suiteTalkSuffix }

// RESTletsURL returns https://<host>.restlets.api.netsuite.com.
func (a Account) RESTletsURL() string { return "https://" + a.Host() + restletsSuffix }

// AppURL returns the UI host URL, https://<host>.app.netsuite.com.
func (a Account) AppURL() string { return "https://" + a.Host() + appSuffix }

// AuthorizeURL returns the OAuth 2.0 authorization page.
func (a Account) AuthorizeURL() string { return a.AppURL() + authorizePath }

// TokenURL returns the OAuth 2.0 token endpoint.
func (a Account) TokenURL() string { return a.RESTURL() + tokenPath }

// RevokeURL returns the OAuth 2.0 token revocation endpoint.
func (a Account) RevokeURL() string { return a.RESTURL() + revokePath }

// serviceHosts returns the hosts whose requests carry this account's
// credentials: its REST web services and RESTlets hosts.
func (a Account) serviceHosts() []string {
	return []string{a.Host() + suiteTalkSuffix, a.Host() + restletsSuffix}
}

// isLoopback reports whether host (no port) is localhost or a loopback IP.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Authenticator is a credential configuration: plain data that a Connection
// binds to its account with Bind, once, in NewConnection. [TBA],
// [ClientCredentials] and [AuthorizationCode] implement it; a user's own type
// can too.
type Authenticator interface {
	Bind(b Binding) (RequestAuthenticator, error)
}

// Binding is what a Connection tells an Authenticator about the account it
// serves.
type Binding struct {
	// Account is the NetSuite account (realm and default endpoints).
	Account Account
	// BaseURL is the Connection's Base URL, without a trailing slash.
	BaseURL string
	// HTTPClient is for the authenticator's own calls (token endpoints): it
	// uses the Connection's base transport and never follows redirects.
	HTTPClient *http.Client
	// UserAgent is the Connection's User-Agent value.
	UserAgent string
	// TokenURL, AuthorizeURL and RevokeURL are the default OAuth 2.0
	// endpoints: the account's own, or the same paths on the Base URL's
	// host when that is not a NetSuite host (a proxy, a netsuitetest
	// server).
	TokenURL, AuthorizeURL, RevokeURL string
	// Logger receives warnings (a certificate valid too long, a refresh
	// token about to expire). Never nil.
	Logger *slog.Logger
}

// RequestAuthenticator is a bound, live authenticator.
type RequestAuthenticator interface {
	// Authenticate adds credentials to req, which the Connection owns (a
	// clone of the caller's request). It is called once per attempt,
	// retries included, and must be safe for concurrent use. I/O it does
	// (fetching a token) honours req.Context().
	Authenticate(req *http.Request) error
}
