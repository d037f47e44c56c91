// Command nsauth authenticates to NetSuite's REST web services from the
// command line: it runs a demo against an embedded fake NetSuite, tests a
// connection the way an integration platform's "Test Connection" button
// does, sends signed requests, and shows what an account ID resolves to.
//
// Usage:
//
//	nsauth demo                      run every authentication method against an in-process fake NetSuite
//	nsauth test [flags]              test the connection to a real account (exit 0 ok, 1 failed)
//	nsauth request [flags] METHOD PATH
//	                                 send one authenticated request and print the response
//	nsauth inspect ACCOUNT-OR-URL    show the canonical account ID, realm and every endpoint
//	nsauth keygen [flags]            write a key and certificate for OAuth 2.0 client credentials
//	nsauth login [flags]             authorization code: log in in a browser, save the tokens
//	nsauth token [flags]             print a current access token (refreshed when needed)
//	nsauth revoke [flags]            revoke the saved tokens
//
// Credentials come from NETSUITE_* environment variables or files, never
// from flag values, and are never printed. Run "nsauth help COMMAND" for
// the flags of each command.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
)

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, env *environment, args []string) int
}

var commands = map[string]command{
	"demo":    {"run every authentication method against an in-process fake NetSuite", runDemo},
	"test":    {"test the connection to an account, like the Test Connection button", runTest},
	"request": {"send one authenticated request and print the response", runRequest},
	"inspect": {"show the canonical account ID, realm and every endpoint of an account", runInspect},
	"keygen":  {"write a key and certificate for OAuth 2.0 client credentials (M2M)", runKeygen},
	"login":   {"log in with OAuth 2.0 authorization code in a browser and save the tokens", runLogin},
	"token":   {"print a current OAuth 2.0 access token (refreshed when needed)", runToken},
	"revoke":  {"revoke the saved OAuth 2.0 tokens and remove the token file", runRevoke},
}

// environment is what a command may touch: its output streams and the
// process environment, so that tests can run commands in-process.
type environment struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	openBrowser    func(ctx context.Context, url string) error
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, &environment{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, openBrowser: openBrowser}, os.Args[1:])
	stop()
	os.Exit(code)
}

func run(ctx context.Context, env *environment, args []string) int {
	if len(args) == 0 {
		usage(env.stderr)
		return 2
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) == 0 {
			usage(env.stdout)
			return 0
		}
		if cmd, ok := commands[rest[0]]; ok {
			return cmd.run(ctx, env, []string{"--help"})
		}
		name = rest[0]
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(env.stderr, "nsauth: unknown command %q\n\n", name)
		usage(env.stderr)
		return 2
	}
	return cmd.run(ctx, env, rest)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "nsauth: authenticate to NetSuite REST web services and RESTlets")
	fmt.Fprintln(w, "\nUsage: nsauth COMMAND [flags] [arguments]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'nsauth help COMMAND' (or 'nsauth COMMAND --help') for its flags.")
	fmt.Fprintln(w, "Credentials are read from NETSUITE_* environment variables or files; see 'nsauth help test'.")
}

// indent prefixes every line of s.
func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}
