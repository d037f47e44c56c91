package netsuitetest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// Content types NetSuite answers with.
const (
	contentTypeRecord = "application/vnd.oracle.resource+json; type=singular-resource"
	contentTypeList   = "application/vnd.oracle.resource+json; type=collection"
	contentTypeError  = "application/vnd.oracle.resource+json; type=error"
)

const (
	recordPrefix = "/services/rest/record/v1/"
	suiteQLPath  = "/services/rest/query/v1/suiteql"
	restletPath  = "/app/site/hosting/restlet.nl"
)

// records is the fake's small, fixed data set: type → id → fields.
var records = map[string]map[string]map[string]any{
	"customer": {
		"107": {"companyName": "Wolfe Electronics", "email": "ap@wolfe.example", "isPerson": false},
		"108": {"companyName": "Brightwater Supply", "email": "orders@brightwater.example", "isPerson": false},
	},
	"employee": {
		"40": {"firstName": "Ada", "lastName": "Byron", "email": "ada@example.com"},
	},
	"salesorder": {
		"5": {"tranId": "SO-5", "total": 129.5, "status": "Pending Fulfillment"},
	},
}

// catalogTypes are the record types listed by the metadata catalog.
var catalogTypes = []string{"account", "contact", "customer", "employee", "invoice", "item", "salesorder", "vendor"}

// route answers an authenticated request.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	path := requestPath(r)
	switch {
	case path == recordPrefix+"metadata-catalog" || path == recordPrefix+"metadata-catalog/":
		s.serveCatalog(w, r)
	case strings.HasPrefix(path, recordPrefix):
		s.serveRecord(w, r, strings.Trim(strings.TrimPrefix(path, recordPrefix), "/"))
	case path == suiteQLPath:
		s.serveSuiteQL(w, r)
	case path == restletPath:
		s.serveRESTlet(w, r)
	default:
		writeError(w, http.StatusNotFound, "NONEXISTENT_ID",
			fmt.Sprintf("The record instance does not exist. Invalid path %s.", path))
	}
}

func (s *Server) link(r *http.Request, path string) []map[string]string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return []map[string]string{{"rel": "self", "href": scheme + "://" + r.Host + path}}
}

func (s *Server) serveCatalog(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, "INVALID_REQUEST", "Only GET is supported on the metadata catalog.")
		return
	}
	if strings.Contains(r.Header.Get("Accept"), "swagger") && r.URL.Query().Get("select") == "" {
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER",
			"Requesting the whole OpenAPI catalog without select= is refused by this fake (NetSuite takes minutes).")
		return
	}
	items := make([]map[string]any, 0, len(catalogTypes))
	for _, t := range catalogTypes {
		items = append(items, map[string]any{
			"name":  t,
			"links": []map[string]string{{"rel": "canonical", "href": recordPrefix + t, "mediaType": "application/json"}},
		})
	}
	writeJSON(w, http.StatusOK, contentTypeList, map[string]any{"items": items})
}

func (s *Server) serveRecord(w http.ResponseWriter, r *http.Request, rest string) {
	typ, id, _ := strings.Cut(rest, "/")
	typ = strings.ToLower(typ)
	table, ok := records[typ]
	if !ok {
		writeError(w, http.StatusBadRequest, "INVALID_RCRD_TYPE", fmt.Sprintf("Record type '%s' does not exist.", typ))
		return
	}
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, "INVALID_REQUEST", "This fake serves records read-only.")
		return
	}
	if id == "" {
		ids := make([]string, 0, len(table))
		for id := range table {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		items := make([]map[string]any, 0, len(ids))
		for _, id := range ids {
			items = append(items, map[string]any{"id": id, "links": s.link(r, recordPrefix+typ+"/"+id)})
		}
		writeJSON(w, http.StatusOK, contentTypeList, map[string]any{
			"links": s.link(r, recordPrefix+typ), "count": len(items), "hasMore": false,
			"items": items, "offset": 0, "totalResults": len(items),
		})
		return
	}
	fields, ok := table[id]
	if !ok {
		writeError(w, http.StatusNotFound, "NONEXISTENT_ID",
			"The record instance does not exist. Provide a valid record instance ID.")
		return
	}
	out := map[string]any{"id": id, "links": s.link(r, recordPrefix+typ+"/"+id)}
	for k, v := range fields {
		out[k] = v
	}
	writeJSON(w, http.StatusOK, contentTypeRecord, out)
}

// serveSuiteQL checks what NetSuite checks of a SuiteQL call (POST,
// Prefer: transient, a JSON body with q) and answers with the customers.
func (s *Server) serveSuiteQL(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "INVALID_REQUEST", "SuiteQL queries are sent with POST.")
		return
	}
	if !strings.EqualFold(r.Header.Get("Prefer"), "transient") {
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER",
			"Invalid value for the request header 'Prefer'. The header must be set to 'transient'.")
		return
	}
	var body struct {
		Q string `json:"q"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || strings.TrimSpace(body.Q) == "" {
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", "The request body must be JSON with a non-empty 'q'.")
		return
	}
	items := []map[string]any{}
	for id, f := range records["customer"] {
		items = append(items, map[string]any{"id": id, "companyname": f["companyName"], "links": []any{}})
	}
	sort.Slice(items, func(i, j int) bool { return items[i]["id"].(string) < items[j]["id"].(string) })
	writeJSON(w, http.StatusOK, contentTypeList, map[string]any{
		"links": []any{}, "count": len(items), "hasMore": false, "items": items, "offset": 0, "totalResults": len(items),
	})
}

// serveRESTlet echoes what the RESTlet received, as a RESTlet written for
// testing would.
func (s *Server) serveRESTlet(w http.ResponseWriter, r *http.Request) {
	q, _ := url.ParseQuery(requestQuery(r))
	if q.Get("script") == "" || q.Get("deploy") == "" {
		writeJSON(w, http.StatusBadRequest, "application/json", map[string]any{"error": map[string]string{
			"code": "SSS_MISSING_REQD_ARGUMENT", "message": "Missing a required argument: script and deploy"}})
		return
	}
	body, _ := io.ReadAll(r.Body)
	writeJSON(w, http.StatusOK, "application/json", map[string]any{
		"method": r.Method, "script": q.Get("script"), "deploy": q.Get("deploy"), "body": string(body),
	})
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeError answers with NetSuite's REST error document.
func writeError(w http.ResponseWriter, status int, code, detail string) {
	title := http.StatusText(status)
	if status == http.StatusTooManyRequests {
		title = "Bad Request" // as NetSuite sends it
	}
	writeJSON(w, status, contentTypeError, map[string]any{
		"type":           "https://www.rfc-editor.org/rfc/rfc9110.html#section-15." + rfcSection(status),
		"title":          title,
		"status":         status,
		"o:errorDetails": []map[string]string{{"detail": detail, "o:errorCode": code}},
	})
}

func rfcSection(status int) string {
	return fmt.Sprintf("%d.%d", status/100+1, status%100+1)
}

// invalidLogin is NetSuite's detail for every authentication failure.
const invalidLogin = "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at " +
	"Setup > Users/Roles > User Management > View Login Audit Trail."

// writeUnauthorized answers a refused login as NetSuite does: 401,
// INVALID_LOGIN, and a WWW-Authenticate challenge for the scheme used.
func (s *Server) writeUnauthorized(w http.ResponseWriter, auth string) {
	challenge := fmt.Sprintf(`OAuth realm="%s", error="token_rejected", error_description="Invalid login attempt."`, s.account.Realm())
	if auth == "bearer" {
		challenge = fmt.Sprintf(`Bearer realm="%s", error="invalid_token", error_description="Invalid login attempt."`, s.account.Realm())
	}
	w.Header().Set("WWW-Authenticate", challenge)
	writeError(w, http.StatusUnauthorized, "INVALID_LOGIN", invalidLogin)
}

func faultCode(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return "CONCURRENCY_LIMIT_EXCEEDED"
	case http.StatusUnauthorized:
		return "INVALID_LOGIN"
	case http.StatusForbidden:
		return "INSUFFICIENT_PERMISSION"
	}
	if status >= 500 {
		return "UNEXPECTED_ERROR"
	}
	return "INVALID_REQUEST"
}

func faultDetail(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return "Concurrent request limit exceeded. Request blocked."
	case http.StatusUnauthorized:
		return invalidLogin
	case http.StatusForbidden:
		return "Permission Violation: You need the 'REST Web Services' permission to access this page."
	}
	if status >= 500 {
		return "An unexpected error occurred."
	}
	return http.StatusText(status)
}
