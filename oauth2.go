package netsuite

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Settings shared by the OAuth 2.0 authenticators.

// knownScopes are the scopes NetSuite grants.
var knownScopes = []string{ScopeRESTWebServices, ScopeRESTlets, ScopeSuiteAnalytics}

// checkScopes returns the scopes, defaulting to rest_webservices, and
// refuses names NetSuite does not know (a typo would otherwise surface as an
// opaque invalid_scope).
func checkScopes(field string, scopes []string) ([]string, error) {
	if len(scopes) == 0 {
		return []string{ScopeRESTWebServices}, nil
	}
	out := make([]string, 0, len(scopes))
	for _, s := range scopes {
		if !slices.Contains(knownScopes, s) {
			return nil, &ConfigError{Field: field, Problem: fmt.Sprintf("%s is not a NetSuite scope", quoteInput(s)),
				Accepted: "one or more of " + strings.Join(knownScopes, ", ") + "; default rest_webservices"}
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// endpointURL validates an OAuth 2.0 endpoint setting, or returns the
// default when it is empty. Only https is accepted, or http on loopback.
func endpointURL(field, value, def string) (string, error) {
	if value == "" {
		return def, nil
	}
	u, err := url.Parse(value)
	bad := func(problem string) error {
		return &ConfigError{Field: field, Problem: quoteInput(value) + ": " + problem,
			Accepted: "an absolute https:// URL (http:// only on loopback), or empty for the default " + def}
	}
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return "", bad("it is not an absolute http(s) URL")
	case u.User != nil:
		return "", bad("it has a user name or password in it")
	case u.Fragment != "":
		return "", bad("it has a fragment")
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return "", bad("plain http:// would send credentials unencrypted; only loopback hosts may use it")
	}
	return value, nil
}

// tokenEndpointURL validates a token or revoke endpoint setting: besides
// endpointURL's rules, it must be on the account's REST host or the Base
// URL's host, because the client secret or the assertion is sent there.
func tokenEndpointURL(field, value, def string, b Binding) (string, error) {
	u, err := endpointURL(field, value, def)
	if err != nil || value == "" {
		return u, err
	}
	parsed, _ := url.Parse(u)
	o := originOf(parsed)
	base, _ := url.Parse(b.BaseURL)
	if o == (origin{"https", b.Account.Host() + suiteTalkSuffix}) || (base != nil && o == originOf(base)) {
		return u, nil
	}
	return "", &ConfigError{Field: field, Problem: quoteInput(value) + ": credentials would be sent to a host that is not the account's",
		Accepted: "a URL on " + b.Account.RESTURL() + " or on the Base URL's host, or empty for the default " + def}
}

// checkTokenParams refuses extra token-request parameters that would
// override the protocol's own.
func checkTokenParams(field string, params url.Values, reserved ...string) (url.Values, error) {
	for name := range params {
		if slices.Contains(reserved, name) {
			return nil, &ConfigError{Field: field, Problem: fmt.Sprintf("%q is set by this package", name),
				Accepted: "extra parameters other than " + strings.Join(reserved, ", ")}
		}
	}
	return params, nil
}

// trimPrefix drops the "netsuite: " of an error message that is embedded
// in another one.
func trimPrefix(err error) string {
	return strings.TrimPrefix(err.Error(), "netsuite: ")
}
