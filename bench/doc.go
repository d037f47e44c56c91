// Package bench measures github.com/suitekit/netsuite against peer
// libraries: github.com/dghubble/oauth1 for Token-Based Authentication and
// golang.org/x/oauth2 for bearer tokens. It is its own module so that the
// peers never enter the library's go.mod. Everything is in the _test.go
// files; README.md says how to run it and shows the results.
package bench
