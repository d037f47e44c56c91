package oauth1

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"strconv"
	"sync"
)

// Key is an HMAC-SHA256 signing key, enc(consumer secret) & enc(token
// secret), with a pool of keyed hashes so that signing does not re-derive
// the HMAC pads for every request. A Key is safe for concurrent use.
type Key struct {
	pool sync.Pool
}

// NewKey returns the signing key for a consumer secret and token secret.
func NewKey(consumerSecret, tokenSecret string) *Key {
	key := AppendEscape(nil, consumerSecret)
	key = append(key, '&')
	key = AppendEscape(key, tokenSecret)
	k := &Key{}
	k.pool.New = func() any { return hmac.New(sha256.New, key) }
	return k
}

// Sign returns base64(HMAC-SHA256(key, base)), not yet percent-encoded.
func (k *Key) Sign(base []byte) string {
	var sum [sha256.Size]byte
	var out [44]byte // base64 of 32 bytes
	h := k.pool.Get().(hash.Hash)
	h.Reset()
	h.Write(base)
	h.Sum(sum[:0])
	k.pool.Put(h)
	base64.StdEncoding.Encode(out[:], sum[:])
	return string(out[:])
}

// Header returns the Authorization header value, every value percent-encoded
// and quoted, in the order NetSuite documents.
func Header(realm string, p Params, signature string) string {
	b := make([]byte, 0, 192+escapedLen(realm)+escapedLen(p.ConsumerKey)+escapedLen(p.Token)+
		escapedLen(p.Nonce)+escapedLen(signature))
	b = append(b, `OAuth realm="`...)
	b = AppendEscape(b, realm)
	b = append(b, `", oauth_consumer_key="`...)
	b = AppendEscape(b, p.ConsumerKey)
	b = append(b, `", oauth_token="`...)
	b = AppendEscape(b, p.Token)
	b = append(b, `", oauth_signature_method="`+SignatureMethod+`", oauth_timestamp="`...)
	b = strconv.AppendInt(b, p.Timestamp, 10)
	b = append(b, `", oauth_nonce="`...)
	b = AppendEscape(b, p.Nonce)
	b = append(b, `", oauth_version="`+Version+`", oauth_signature="`...)
	b = AppendEscape(b, signature)
	b = append(b, '"')
	return string(b)
}
