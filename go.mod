module github.com/suitekit/netsuite

go 1.26.0

require (
	github.com/golang-jwt/jwt/v5 v5.3.1
	github.com/stretchr/testify v1.12.1
	golang.org/x/crypto v0.59.0
	golang.org/x/oauth2 v0.38.0
	software.sslmate.com/src/go-pkcs12 v0.7.4
)

require go.yaml.in/yaml/v3 v3.0.5 // indirect
