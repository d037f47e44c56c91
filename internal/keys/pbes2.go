package keys

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"hash"

	"golang.org/x/crypto/scrypt"
)

// PBES2 (RFC 8018) identifiers.
var (
	oidPBES2      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidScrypt     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11591, 4, 11}
	oidHMACSHA1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACSHA224 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 8}
	oidHMACSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACSHA384 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}
	oidHMACSHA512 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}
	oidAES128CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	oidDESEDE3CBC = asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 7}

	// PKCS#12 password-based encryption (not implemented here; named in messages).
	oidPBEWithSHAAnd3KeyTripleDES = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 3}
	oidPBEWithSHAAnd128BitRC2     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 5}
	oidPBEWithSHAAnd40BitRC2      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 6}
)

// Limits on key-derivation cost, so that a hostile file cannot make a load
// run for minutes or exhaust memory. OpenSSL writes 2048 PBKDF2 iterations
// and scrypt N=16384, r=8, p=1; OWASP's strongest advice is 600,000.
const (
	maxPBKDF2Iterations = 10_000_000
	maxScryptMemory     = 256 << 20 // bytes: 128*N*r
	maxScryptP          = 16
)

type encryptedPrivateKeyInfo struct {
	Algo          pkix.AlgorithmIdentifier
	EncryptedData []byte
}

type pbes2Params struct {
	KeyDerivationFunc pkix.AlgorithmIdentifier
	EncryptionScheme  pkix.AlgorithmIdentifier
}

type pbkdf2Params struct {
	Salt           []byte
	IterationCount int
	KeyLength      int                      `asn1:"optional"`
	PRF            pkix.AlgorithmIdentifier `asn1:"optional"`
}

type scryptParams struct {
	Salt                     []byte
	CostParameter            int
	BlockSize                int
	ParallelizationParameter int
	KeyLength                int `asn1:"optional"`
}

// errUnsupportedScheme marks encryption schemes this package cannot
// decrypt, so that callers can add the "decrypt it first" advice.
var errUnsupportedScheme = errors.New("unsupported encryption scheme")

// decryptPKCS8 decrypts a PKCS#8 EncryptedPrivateKeyInfo protected with
// PBES2 (PBKDF2 or scrypt; AES-128/192/256-CBC or DES-EDE3-CBC) and
// returns the PrivateKeyInfo DER. A wrong password yields ErrWrongPassword;
// a scheme it does not implement yields an error wrapping
// errUnsupportedScheme. password is used as its UTF-8 bytes, as OpenSSL does.
func decryptPKCS8(der []byte, password []byte) ([]byte, error) {
	var info encryptedPrivateKeyInfo
	if rest, err := asn1.Unmarshal(der, &info); err != nil {
		return nil, fmt.Errorf("netsuite: cannot parse the encrypted PKCS#8 private key: %w", err)
	} else if len(rest) != 0 {
		return nil, errors.New("netsuite: cannot parse the encrypted PKCS#8 private key: trailing data")
	}
	return pbes2Decrypt(info.Algo, info.EncryptedData, password)
}

// pbes2Decrypt decrypts ciphertext encrypted with the PBES2 scheme algo.
func pbes2Decrypt(algo pkix.AlgorithmIdentifier, ciphertext, password []byte) ([]byte, error) {
	if !algo.Algorithm.Equal(oidPBES2) {
		return nil, fmt.Errorf("netsuite: the key is encrypted with %s, not PBES2: %w", oidName(algo.Algorithm), errUnsupportedScheme)
	}
	var params pbes2Params
	if _, err := asn1.Unmarshal(algo.Parameters.FullBytes, &params); err != nil {
		return nil, fmt.Errorf("netsuite: cannot parse the PBES2 parameters: %w", err)
	}

	// The cipher decides the key length.
	enc := params.EncryptionScheme
	var keyLen int
	var newCipher func([]byte) (cipher.Block, error)
	switch {
	case enc.Algorithm.Equal(oidAES128CBC):
		keyLen, newCipher = 16, aes.NewCipher
	case enc.Algorithm.Equal(oidAES192CBC):
		keyLen, newCipher = 24, aes.NewCipher
	case enc.Algorithm.Equal(oidAES256CBC):
		keyLen, newCipher = 32, aes.NewCipher
	case enc.Algorithm.Equal(oidDESEDE3CBC):
		keyLen, newCipher = 24, des.NewTripleDESCipher
	default:
		return nil, fmt.Errorf("netsuite: the key is encrypted with PBES2 and cipher %s: %w", oidName(enc.Algorithm), errUnsupportedScheme)
	}
	var iv []byte
	if _, err := asn1.Unmarshal(enc.Parameters.FullBytes, &iv); err != nil {
		return nil, fmt.Errorf("netsuite: cannot parse the PBES2 cipher IV: %w", err)
	}

	key, err := deriveKey(params.KeyDerivationFunc, password, keyLen)
	if err != nil {
		return nil, err
	}
	block, err := newCipher(key)
	if err != nil {
		return nil, fmt.Errorf("netsuite: cannot set up the PBES2 cipher: %w", err)
	}
	bs := block.BlockSize()
	if len(iv) != bs {
		return nil, fmt.Errorf("netsuite: the PBES2 cipher IV has %d bytes, want %d", len(iv), bs)
	}
	if len(ciphertext) == 0 || len(ciphertext)%bs != 0 {
		return nil, fmt.Errorf("netsuite: the encrypted key has %d bytes, not a multiple of the cipher's %d-byte block", len(ciphertext), bs)
	}
	plain := make([]byte, len(ciphertext))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, ciphertext)

	// PKCS#7 padding; a bad pad almost always means a wrong password.
	pad := int(plain[len(plain)-1])
	if pad == 0 || pad > bs || !bytes.Equal(plain[len(plain)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return nil, fmt.Errorf("%w: cannot decrypt the encrypted private key with the given password", ErrWrongPassword)
	}
	return plain[:len(plain)-pad], nil
}

// deriveKey runs the PBES2 key-derivation function kdf.
func deriveKey(kdf pkix.AlgorithmIdentifier, password []byte, keyLen int) ([]byte, error) {
	switch {
	case kdf.Algorithm.Equal(oidPBKDF2):
		var p pbkdf2Params
		if _, err := asn1.Unmarshal(kdf.Parameters.FullBytes, &p); err != nil {
			return nil, fmt.Errorf("netsuite: cannot parse the PBKDF2 parameters (only a specified salt is supported): %w", err)
		}
		if p.KeyLength != 0 && p.KeyLength != keyLen {
			return nil, fmt.Errorf("netsuite: the PBKDF2 key length %d does not fit the cipher's %d-byte key", p.KeyLength, keyLen)
		}
		if p.IterationCount < 1 || p.IterationCount > maxPBKDF2Iterations {
			return nil, fmt.Errorf("netsuite: the PBKDF2 iteration count %d is outside 1..%d: %w", p.IterationCount, maxPBKDF2Iterations, errUnsupportedScheme)
		}
		var h func() hash.Hash
		switch prf := p.PRF.Algorithm; {
		case len(prf) == 0, prf.Equal(oidHMACSHA1):
			h = sha1.New
		case prf.Equal(oidHMACSHA224):
			h = sha256.New224
		case prf.Equal(oidHMACSHA256):
			h = sha256.New
		case prf.Equal(oidHMACSHA384):
			h = sha512.New384
		case prf.Equal(oidHMACSHA512):
			h = sha512.New
		default:
			return nil, fmt.Errorf("netsuite: the PBKDF2 pseudo-random function %s: %w", oidName(prf), errUnsupportedScheme)
		}
		key, err := pbkdf2.Key(h, string(password), p.Salt, p.IterationCount, keyLen)
		if err != nil {
			return nil, fmt.Errorf("netsuite: PBKDF2 failed: %w", err)
		}
		return key, nil
	case kdf.Algorithm.Equal(oidScrypt):
		var p scryptParams
		if _, err := asn1.Unmarshal(kdf.Parameters.FullBytes, &p); err != nil {
			return nil, fmt.Errorf("netsuite: cannot parse the scrypt parameters: %w", err)
		}
		if p.KeyLength != 0 && p.KeyLength != keyLen {
			return nil, fmt.Errorf("netsuite: the scrypt key length %d does not fit the cipher's %d-byte key", p.KeyLength, keyLen)
		}
		n, r, par := p.CostParameter, p.BlockSize, p.ParallelizationParameter
		if n < 2 || n&(n-1) != 0 || r < 1 || par < 1 || par > maxScryptP || r > maxScryptMemory/128/n {
			return nil, fmt.Errorf("netsuite: the scrypt parameters N=%d r=%d p=%d are out of range (at most %d MiB, p<=%d): %w",
				n, r, par, maxScryptMemory>>20, maxScryptP, errUnsupportedScheme)
		}
		key, err := scrypt.Key(password, p.Salt, n, r, par, keyLen)
		if err != nil {
			return nil, fmt.Errorf("netsuite: scrypt failed: %w", err)
		}
		return key, nil
	default:
		return nil, fmt.Errorf("netsuite: the PBES2 key-derivation function %s: %w", oidName(kdf.Algorithm), errUnsupportedScheme)
	}
}
