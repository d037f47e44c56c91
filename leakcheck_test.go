package netsuite_test

// Helpers of secrets_test.go: a set of secrets with the encoded forms a leak
// would show, and every way a program might print or log a value.

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/suitekit/netsuite/netsuitetest"
)

// secretSet holds secret values in every form in which output could
// reveal them: as they are, hex (lower and upper case), base64 (standard
// and URL alphabets, at each of the three byte alignments a value can have
// inside a longer encoded string), percent-encoded (query and path),
// Go-quoted, JSON-escaped and HTML-escaped. Big integers (private key
// material) are held in decimal, hex and base64.
type secretSet struct {
	mu    sync.Mutex
	forms map[string]string // form → what it is, e.g. "TBA.ConsumerSecret (hex)"
}

func newSecretSet() *secretSet { return &secretSet{forms: map[string]string{}} }

// minForm is the shortest form checked: shorter ones would match by chance.
const minForm = 8

func (s *secretSet) form(name, f string) {
	if len(f) < minForm {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.forms[f]; !ok {
		s.forms[f] = name
	}
}

// add registers a secret string.
func (s *secretSet) add(name, v string) {
	if v == "" {
		return
	}
	s.form(name, v)
	s.form(name+" (hex)", hex.EncodeToString([]byte(v)))
	s.form(name+" (HEX)", strings.ToUpper(hex.EncodeToString([]byte(v))))
	s.base64Forms(name, []byte(v))
	s.form(name+" (query-escaped)", url.QueryEscape(v))
	s.form(name+" (path-escaped)", url.PathEscape(v))
	q := strconv.Quote(v)
	s.form(name+" (Go-quoted)", q[1:len(q)-1])
	q = strconv.QuoteToASCII(v)
	s.form(name+" (Go-quoted ASCII)", q[1:len(q)-1])
	j, _ := json.Marshal(v)
	s.form(name+" (JSON-escaped)", string(j[1:len(j)-1]))
	s.form(name+" (HTML-escaped)", html.EscapeString(v))
}

// base64Forms registers the part of b's base64 encoding that does not
// depend on the bytes around b, for each alignment of b.
func (s *secretSet) base64Forms(name string, b []byte) {
	for off := range 3 {
		in := append(make([]byte, off), b...)
		enc := base64.StdEncoding.EncodeToString(in)
		start := (off + 2) / 3 * 4 // skip the groups mixed with the padding bytes
		end := len(in) / 3 * 4     // and the last, partial, group
		if end-start >= minForm {
			core := enc[start:end]
			s.form(name+" (base64)", core)
			s.form(name+" (base64url)", strings.NewReplacer("+", "-", "/", "_").Replace(core))
		}
	}
}

// addBig registers private key material.
func (s *secretSet) addBig(name string, n *big.Int) {
	if n == nil {
		return
	}
	s.form(name+" (decimal)", n.String())
	s.form(name+" (hex)", n.Text(16))
	s.form(name+" (HEX)", strings.ToUpper(n.Text(16)))
	s.form(name+" (bytes)", string(n.Bytes()))
	s.base64Forms(name, n.Bytes())
}

// addKey registers every private part of an RSA or EC key.
func (s *secretSet) addKey(name string, k crypto.Signer) {
	switch k := k.(type) {
	case *ecdsa.PrivateKey:
		b, err := k.Bytes()
		if err == nil {
			s.addBig(name+".D", new(big.Int).SetBytes(b))
		}
	case *rsa.PrivateKey:
		s.addBig(name+".D", k.D)
		for i, p := range k.Primes {
			s.addBig(fmt.Sprintf("%s.Primes[%d]", name, i), p)
		}
		s.addBig(name+".Dp", k.Precomputed.Dp)
		s.addBig(name+".Dq", k.Precomputed.Dq)
		s.addBig(name+".Qinv", k.Precomputed.Qinv)
	default:
		panic(fmt.Sprintf("addKey: %T", k))
	}
}

// find returns the secrets out reveals, with a little context each.
func (s *secretSet) find(out string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var found []string
	for f, name := range s.forms {
		if i := strings.Index(out, f); i >= 0 {
			from, to := max(0, i-40), min(len(out), i+len(f)+40)
			found = append(found, fmt.Sprintf("%s in …%s…", name, out[from:to]))
		}
	}
	sort.Strings(found)
	return found
}

// check fails t for every secret out reveals.
func (s *secretSet) check(t testing.TB, where, out string) {
	t.Helper()
	for _, f := range s.find(out) {
		t.Errorf("%s reveals %s", where, f)
	}
}

// checkAll checks every rendering.
func (s *secretSet) checkAll(t testing.TB, outs map[string]string) {
	t.Helper()
	keys := make([]string, 0, len(outs))
	for k := range outs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s.check(t, k, outs[k])
	}
}

// knownGaps are leaks this package cannot fix in the files it may change,
// each with the change that closes it. A gap that stops leaking fails the
// test, so that its entry is removed with the fix.
var knownGaps = map[string]string{
	"slog JSON handler, value nested in a container": "slog's JSONHandler json.Marshals a value that is " +
		"not itself a LogValuer (one nested in a struct, slice or map); AuthRequest, Callback and Authorization " +
		"marshal their fields. A json:\"-\" tag would also drop the verifier from sessions that store an " +
		"AuthRequest as JSON, so this is left to a decision",
}

// checkKnownGap checks out for a leak listed in knownGaps: it skips the
// (sub)test while the gap leaks, and fails when it no longer does.
func (s *secretSet) checkKnownGap(t *testing.T, gap, where, out string) {
	t.Helper()
	fix, ok := knownGaps[gap]
	if !ok {
		t.Fatalf("no known gap %q", gap)
	}
	if found := s.find(out); len(found) > 0 {
		t.Skipf("KNOWN LEAK %q: %s reveals %s; fix: %s", gap, where, found[0], fix)
	}
	t.Errorf("known gap %q no longer leaks at %s: remove it from knownGaps", gap, where)
}

var verbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"}

var slogHandlers = map[string]func(io.Writer) slog.Handler{
	"text": func(w io.Writer) slog.Handler {
		return slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})
	},
	"json": func(w io.Writer) slog.Handler {
		return slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})
	},
}

// renderings renders v every way a program might print or log it: each
// fmt verb, by value and by pointer, inside structs, slices, maps and
// []any, wrapped with %w and errors.Join when it is an error, its String
// and Error methods, and slog's text and JSON handlers with v as an
// attribute (by value, by pointer, in a group) and as the message. Values
// nested in containers go through the text handler only (see
// jsonNested).
func renderings[T any](v T) map[string]string {
	out := map[string]string{}
	p := &v
	fmtAll := func(label string, x any) {
		for _, verb := range verbs {
			out[label+" "+verb] = fmt.Sprintf(verb, x)
		}
	}
	fmtAll("value", v)
	fmtAll("pointer", p)
	fmtAll("struct{X T}", struct{ X T }{v})
	fmtAll("struct{X *T}", struct{ X *T }{p})
	fmtAll("struct{X any}", struct{ X any }{v})
	fmtAll("[]T", []T{v})
	fmtAll("[]*T", []*T{p})
	fmtAll("map[string]T", map[string]T{"k": v})
	fmtAll("map[string]*T", map[string]*T{"k": p})
	fmtAll("[]any", []any{v, p})
	out["Sprint"] = fmt.Sprint(v)
	out["Sprintln"] = fmt.Sprintln(v, p)
	if s, ok := any(v).(fmt.Stringer); ok && !isNil(v) {
		out["String()"] = s.String()
	}
	err, isErr := any(v).(error)
	if isErr && !isNil(v) {
		out["Error()"] = err.Error()
		fmtAll("wrapped", fmt.Errorf("wrapped: %w", err))
		fmtAll("joined", errors.Join(errors.New("other"), err))
	}
	for name, h := range slogHandlers {
		var buf bytes.Buffer
		l := slog.New(h(&buf))
		l.Info(fmt.Sprint(v), "x", v, "p", p)
		l.Debug("group", slog.Group("g", slog.Any("x", v)))
		l.With("with", v).Warn("with")
		if isErr && !isNil(v) {
			l.Error(err.Error(), "err", err, "wrapped", fmt.Errorf("w: %w", err))
		}
		out["slog "+name] = buf.String()
	}
	var buf bytes.Buffer
	slog.New(slogHandlers["text"](&buf)).Info("nested", "struct", struct{ X T }{v}, "slice", []T{v},
		"map", map[string]T{"k": v}, "ptrs", []*T{p})
	out["slog text nested"] = buf.String()
	return out
}

// jsonNested is slog's JSON handler with v nested in containers: the
// handler json.Marshals them, so v's LogValue does not apply.
func jsonNested[T any](v T) string {
	var buf bytes.Buffer
	slog.New(slogHandlers["json"](&buf)).Info("nested", "struct", struct{ X T }{v}, "slice", []T{v},
		"map", map[string]T{"k": v})
	return buf.String()
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	r := reflect.ValueOf(v)
	switch r.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan:
		return r.IsNil()
	}
	return false
}

// logCapture is a Config.Logger (or slog default) that keeps everything
// logged, through a text and a JSON handler, at every level.
type logCapture struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (c *logCapture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.Write(p)
}

func (c *logCapture) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

func (c *logCapture) logger() *slog.Logger {
	return slog.New(slog.NewMultiHandler(slogHandlers["text"](c), slogHandlers["json"](c)))
}

// harvest adds every credential netsuitetest saw on the wire: bearer
// tokens, Basic passwords, TBA signatures, the credential fields of token
// and revoke request bodies, and the access tokens the token endpoint
// issued.
func harvest(s *secretSet, srv *netsuitetest.Server) {
	for _, r := range srv.Requests() {
		harvestRequest(s, r.Header, r.Body)
		if r.Path == netsuitetest.TokenPath && r.Status == http.StatusOK && r.Token != "" {
			s.add("issued access token", r.Token)
		}
	}
}

// harvestRequest adds the credentials of one request.
func harvestRequest(s *secretSet, h http.Header, body []byte) {
	auth := h.Get("Authorization")
	switch scheme, rest, _ := strings.Cut(auth, " "); strings.ToLower(scheme) {
	case "bearer":
		s.add("bearer token", rest)
	case "basic":
		s.add("Basic credentials", rest)
		if raw, err := base64.StdEncoding.DecodeString(rest); err == nil {
			if _, pw, ok := strings.Cut(string(raw), ":"); ok {
				s.add("Basic password", pw)
				if dec, err := url.QueryUnescape(pw); err == nil {
					s.add("Basic password", dec)
				}
			}
		}
	case "oauth":
		for _, part := range strings.Split(rest, ",") {
			name, value, _ := strings.Cut(strings.TrimSpace(part), "=")
			if name == "oauth_signature" {
				value = strings.Trim(value, `"`)
				s.add("TBA signature", value)
				if dec, err := url.PathUnescape(value); err == nil {
					s.add("TBA signature", dec)
				}
			}
		}
	}
	if form, err := url.ParseQuery(string(body)); err == nil && strings.Contains(h.Get("Content-Type"), "form") {
		for _, name := range []string{"client_assertion", "code", "code_verifier", "refresh_token", "token", "client_secret"} {
			for _, v := range form[name] {
				s.add("sent "+name, v)
			}
		}
	}
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
