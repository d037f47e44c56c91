package keys

import "crypto"

// Describe names a public key for messages, e.g. "an RSA key of 3072 bits"
// or "an EC key on P-256". It never shows key material.
func Describe(pub crypto.PublicKey) string { return describeKey(pub) }
