package netsuite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// DefaultTestTimeout bounds TestConnection when ctx has no deadline.
const DefaultTestTimeout = 30 * time.Second

// maxCatalogBody caps how much of the metadata catalog is read; NetSuite
// sends "items" first, and reading stops there.
const maxCatalogBody = 256 << 10

// TestConnection is a health check: it authenticates (fetching a token for
// OAuth 2.0) and GETs the REST metadata catalog,
// <BaseURL>/services/rest/record/v1/metadata-catalog, with
// Accept: application/json. It returns nil when NetSuite answers 2xx with
// the catalog.
//
// Otherwise the error says why: an *Error with the HTTP status code and
// reason phrase, NetSuite's o:errorCode and detail, the WWW-Authenticate
// error and a hint (on 401 the Login Audit Trail, on 403 the role's REST web
// services permission, on 429 the concurrency limit, for sandboxes that
// tokens are not copied there); a *TokenError when the token endpoint
// refused; or a wrapped network or context error (errors.Is works). When ctx
// has no deadline, DefaultTestTimeout applies.
func (c *Connection) TestConnection(ctx context.Context) error {
	if ctx == nil {
		return errors.New("netsuite: test connection: nil Context")
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTestTimeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.baseURL+metadataCatalogPath, nil)
	if err != nil {
		return wrap(err, "test connection")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.RoundTrip(req)
	if err != nil {
		return wrap(err, "test connection: GET "+metadataCatalogPath)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return wrap(newError(resp, c.account), "test connection")
	}
	defer resp.Body.Close()
	if !isCatalog(io.LimitReader(resp.Body, maxCatalogBody)) {
		return fmt.Errorf("netsuite: test connection: GET %s: answered %s but not with the metadata catalog "+
			"(is %s the REST web services URL of the account?)", metadataCatalogPath, statusLine(resp), c.baseURL)
	}
	return nil
}

// isCatalog reports whether r starts a JSON object with an "items" array,
// reading no further than that.
func isCatalog(r io.Reader) bool {
	dec := json.NewDecoder(r)
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return false
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return false
		}
		if key == "items" {
			t, err := dec.Token()
			return err == nil && t == json.Delim('[')
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return false
		}
	}
	return false
}
