package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/suitekit/netsuite"
)

func runTest(ctx context.Context, env *environment, args []string) int {
	var f connFlags
	fs := newFlagSet(env, "test", "[flags]",
		"Tests the connection to a NetSuite account the way an integration platform's Test Connection\n"+
			"button does: authenticates and GETs the REST metadata catalog. Exit 0 when it works, 1 when not.\n\n"+envHelp)
	f.register(fs)
	if code, stop := parse(fs, args); stop {
		return code
	}
	if !wantArgs(env, fs, 0, "no arguments (settings come from flags and NETSUITE_* variables)") {
		return 2
	}
	conn, code := connect(env, &f)
	if conn == nil {
		return code
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	start := time.Now()
	err := conn.TestConnection(ctx)
	took := time.Since(start).Round(time.Millisecond)
	if err != nil {
		stage(env, false, fmt.Sprintf("GET %s/services/rest/record/v1/metadata-catalog (%s)", conn.BaseURL(), took), err)
		return 1
	}
	stage(env, true, fmt.Sprintf("GET %s/services/rest/record/v1/metadata-catalog (%s)", conn.BaseURL(), took), nil)
	fmt.Fprintln(env.stdout, "connection works")
	return 0
}

// connect builds the Connection from flags and environment, reporting the
// configuration stage. It returns nil and the exit code on failure.
func connect(env *environment, f *connFlags) (*netsuite.Connection, int) {
	cfg, err := f.config(env)
	if err != nil {
		stage(env, false, "configuration", err)
		return nil, 1
	}
	conn, err := netsuite.NewConnection(cfg)
	if err != nil {
		stage(env, false, "configuration", cliError(err))
		return nil, 1
	}
	a := conn.Account()
	kind := ""
	if a.IsSandbox() {
		kind = " (sandbox)"
	}
	stage(env, true, fmt.Sprintf("configuration: account %s%s, realm %s, base URL %s, auth %v",
		a.ID(), kind, a.Realm(), conn.BaseURL(), cfg.Auth), nil)
	return conn, 0
}

// stage prints one step of a staged check, with the error and its hint on
// lines of their own.
func stage(env *environment, ok bool, what string, err error) {
	mark := "[ok]    "
	if !ok {
		mark = "[FAILED]"
	}
	fmt.Fprintf(env.stdout, "%s %s\n", mark, what)
	if err != nil {
		msg := strings.Replace(err.Error(), "; hint: ", "\nhint: ", 1)
		fmt.Fprintln(env.stdout, indent(msg, "         "))
	}
}
