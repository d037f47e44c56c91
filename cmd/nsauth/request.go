package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/suitekit/netsuite"
)

// headerFlags collects repeated --header flags.
type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ", ") }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }

func runRequest(ctx context.Context, env *environment, args []string) int {
	var f connFlags
	var data string
	var headers headerFlags
	var include bool
	fs := newFlagSet(env, "request", "[flags] METHOD PATH",
		"Sends one authenticated request, like curl, and prints the response body to stdout\n"+
			"(status and headers to stderr with -i). PATH is relative to the base URL, e.g.\n"+
			"/services/rest/record/v1/customer/107, or a full URL on the account's own hosts.\n"+
			"Exit 0 on 2xx, 1 otherwise.\n\n"+envHelp)
	f.register(fs)
	fs.StringVar(&data, "data", "", "request body; @FILE reads it from a file (JSON unless --header sets Content-Type)")
	fs.Var(&headers, "header", "extra request header 'Name: value' (repeatable)")
	fs.BoolVar(&include, "i", false, "print the status line and response headers to stderr")
	if code, stop := parse(fs, args); stop {
		return code
	}
	if !wantArgs(env, fs, 2, "METHOD and PATH") {
		return 2
	}
	method, path := strings.ToUpper(fs.Arg(0)), fs.Arg(1)
	conn, code := connectQuiet(env, &f)
	if conn == nil {
		return code
	}
	defer conn.Close()
	req, err := buildRequest(ctx, conn, method, path, data, headers)
	if err != nil {
		fmt.Fprintln(env.stderr, "nsauth request:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	resp, err := conn.Client().Do(req.WithContext(ctx))
	if err != nil {
		fmt.Fprintln(env.stderr, "nsauth request:", err)
		return 1
	}
	defer resp.Body.Close()
	if include {
		fmt.Fprintf(env.stderr, "%s %s\n", resp.Proto, resp.Status)
		resp.Header.Write(env.stderr)
		fmt.Fprintln(env.stderr)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		fmt.Fprintln(env.stderr, netsuite.CheckResponse(resp))
		return 1
	}
	if _, err := io.Copy(env.stdout, resp.Body); err != nil {
		fmt.Fprintln(env.stderr, "nsauth request: reading the response:", err)
		return 1
	}
	return 0
}

// connectQuiet builds the Connection, printing only failures.
func connectQuiet(env *environment, f *connFlags) (*netsuite.Connection, int) {
	cfg, err := f.config(env)
	if err == nil {
		var conn *netsuite.Connection
		if conn, err = netsuite.NewConnection(cfg); err == nil {
			return conn, 0
		}
	}
	fmt.Fprintln(env.stderr, "nsauth request:", cliError(err))
	return nil, 1
}

func buildRequest(ctx context.Context, conn *netsuite.Connection, method, path, data string, headers []string) (*http.Request, error) {
	target := path
	if !strings.Contains(path, "://") {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		target = conn.BaseURL() + path
	}
	var body io.Reader
	if strings.HasPrefix(data, "@") {
		b, err := os.ReadFile(data[1:])
		if err != nil {
			return nil, fmt.Errorf("--data: %w", err)
		}
		data = string(b)
	}
	if data != "" {
		body = strings.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if data != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, h := range headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("--header %q: want 'Name: value'", h)
		}
		req.Header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	return req, nil
}
