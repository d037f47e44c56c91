package main

import (
	"context"
	"fmt"

	"github.com/suitekit/netsuite"
)

func runInspect(_ context.Context, env *environment, args []string) int {
	fs := newFlagSet(env, "inspect", "ACCOUNT-OR-URL",
		"Shows what an account ID or NetSuite URL resolves to: canonical ID, TBA realm and every endpoint.")
	if code, stop := parse(fs, args); stop {
		return code
	}
	if !wantArgs(env, fs, 1, "one account ID or URL") {
		return 2
	}
	a, err := netsuite.ParseAccount(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(env.stderr, "nsauth inspect:", err)
		return 1
	}
	kind := "production (or test drive)"
	if a.IsSandbox() {
		kind = "sandbox / release preview: tokens and OAuth 2.0 grants are not copied here from production"
	}
	rows := [][2]string{
		{"account ID", a.ID()},
		{"TBA realm", a.Realm()},
		{"host label", a.Host()},
		{"kind", kind},
		{"REST base URL", a.RESTURL()},
		{"RESTlets URL", a.RESTletsURL()},
		{"UI URL", a.AppURL()},
		{"metadata catalog", a.RESTURL() + "/services/rest/record/v1/metadata-catalog"},
		{"OAuth 2.0 authorize", a.AuthorizeURL()},
		{"OAuth 2.0 token", a.TokenURL()},
		{"OAuth 2.0 revoke", a.RevokeURL()},
	}
	for _, r := range rows {
		fmt.Fprintf(env.stdout, "%-20s %s\n", r[0], r[1])
	}
	return 0
}
