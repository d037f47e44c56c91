module github.com/suitekit/netsuite/bench

go 1.26.0

require (
	github.com/dghubble/oauth1 v0.7.3
	github.com/suitekit/netsuite v0.0.0
	golang.org/x/oauth2 v0.38.0
)

require (
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	golang.org/x/crypto v0.59.0 // indirect
	software.sslmate.com/src/go-pkcs12 v0.7.4 // indirect
)

replace github.com/suitekit/netsuite => ../
