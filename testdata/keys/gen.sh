#!/usr/bin/env bash
# Regenerates every key/certificate fixture in this directory with the system
# openssl (written with OpenSSL 3.0.19). These are TEST-ONLY keys made for the
# tests of internal/keys; they are not secrets and protect nothing.
#
# Usage: bash testdata/keys/gen.sh   (from anywhere; it cds into its own dir)
#
# Tests never depend on today's date: they read NotBefore from each
# certificate and check it at a fixed instant inside the validity window.
set -euo pipefail
cd "$(dirname "$0")"
# The non-ASCII PKCS#12 password below must reach openssl as UTF-8.
export LC_ALL=C.UTF-8

DAYS=700                       # inside NetSuite's two-year limit
PW=test-password               # password of every encrypted fixture ...
NONASCII_PW='pässwörd-日本'     # ... except the non-ASCII PKCS#12 one
subj() { printf '/O=suitekit test fixtures/CN=netsuite keys test %s' "$1"; }

rm -f ./*.pem ./*.pfx ./*.srl ./*.csr ./*.x5t256

# --- RSA ---------------------------------------------------------------
# RSA 3072, PKCS#8 "PRIVATE KEY" (OpenSSL 3 default) + self-signed cert.
openssl req -x509 -newkey rsa:3072 -sha256 -nodes -days "$DAYS" \
  -subj "$(subj rsa3072)" -keyout rsa3072.key.pem -out rsa3072.cert.pem
# Same key, certificate valid 3 years: loads, but Check warns.
openssl req -x509 -new -key rsa3072.key.pem -sha256 -days 1095 \
  -subj "$(subj rsa3072-3y)" -out rsa3072-3y.cert.pem
# Key and certificate in one PEM file.
cat rsa3072.key.pem rsa3072.cert.pem > rsa3072.combined.pem

# RSA 4096, PKCS#1 "RSA PRIVATE KEY"; its certificate is made with the
# widely copied recipe that signs the certificate itself with RSA-PSS.
openssl genrsa -traditional -out rsa4096-pkcs1.key.pem 4096
openssl req -x509 -new -key rsa4096-pkcs1.key.pem -days "$DAYS" \
  -sigopt rsa_padding_mode:pss -sha256 -sigopt rsa_pss_saltlen:64 \
  -subj "$(subj rsa4096)" -out rsa4096.cert.pem

# RSA 2048: NetSuite refuses it, so must Check.
openssl genrsa -out rsa2048.key.pem 2048
openssl req -x509 -new -key rsa2048.key.pem -sha256 -days "$DAYS" \
  -subj "$(subj rsa2048)" -out rsa2048.cert.pem

# --- EC ----------------------------------------------------------------
# SEC1 "EC PRIVATE KEY" (with a leading "EC PARAMETERS" block, as
# `openssl ecparam -genkey` writes it), the same key as PKCS#8, and a cert.
for spec in p256:prime256v1:sha256 p384:secp384r1:sha384 p521:secp521r1:sha512 secp256k1:secp256k1:sha256; do
  IFS=: read -r name curve md <<<"$spec"
  openssl ecparam -name "$curve" -genkey -out "ec-$name-sec1.key.pem"
  openssl pkcs8 -topk8 -nocrypt -in "ec-$name-sec1.key.pem" -out "ec-$name-pkcs8.key.pem"
  openssl req -x509 -new -key "ec-$name-sec1.key.pem" -"$md" -days "$DAYS" \
    -subj "$(subj "ec-$name")" -out "ec-$name.cert.pem"
done

# --- Ed25519 (refused) ---------------------------------------------------
openssl genpkey -algorithm ed25519 -out ed25519.key.pem
openssl req -x509 -new -key ed25519.key.pem -days "$DAYS" \
  -subj "$(subj ed25519)" -out ed25519.cert.pem

# --- RSA-PSS (PKCS#8 with OID 1.2.840.113549.1.1.10) --------------------
# Plain genpkey: AlgorithmIdentifier without parameters.
openssl genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:3072 -out rsa-pss-genpkey.key.pem
# Restricted to SHA-256: AlgorithmIdentifier with RSASSA-PSS-params.
openssl genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:3072 \
  -pkeyopt rsa_pss_keygen_md:sha256 -out rsa-pss-sha256.key.pem
# OpenSSL's "traditional" form of an RSA-PSS key: "RSA-PSS PRIVATE KEY" (PKCS#1 inside).
openssl rsa -in rsa-pss-genpkey.key.pem -traditional -out rsa-pss-traditional.key.pem
# Oracle's SuiteScript recipe (bits lowered from 4096 to 3072), certificate
# first then key in the combined file, exactly as Oracle's `cat` does it.
# The certificate's SubjectPublicKeyInfo also uses the RSASSA-PSS OID.
openssl req -new -x509 -nodes -days "$DAYS" -newkey rsa-pss -pkeyopt rsa_keygen_bits:3072 \
  -subj "$(subj rsa-pss-oracle)" -out rsa-pss-oracle.cert.pem -keyout rsa-pss-oracle.key.pem
cat rsa-pss-oracle.cert.pem rsa-pss-oracle.key.pem > rsa-pss-oracle.combined.pem

# --- Encrypted PEM keys ----------------------------------------------------
# PKCS#8 PBES2: PBKDF2-HMAC-SHA256 + AES-256-CBC (OpenSSL 3 default).
openssl pkcs8 -topk8 -v2 aes-256-cbc -in rsa3072.key.pem -passout "pass:$PW" -out rsa3072-enc-aes256.key.pem
# genpkey -aes256 (same scheme, written by a different command), EC P-256.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes256 -pass "pass:$PW" -out ec-p256-enc-genpkey.key.pem
# PBES2 variants: AES-128 + HMAC-SHA512, 3DES + HMAC-SHA1, scrypt + AES-256.
openssl pkcs8 -topk8 -v2 aes-128-cbc -v2prf hmacWithSHA512 -in ec-p384-pkcs8.key.pem -passout "pass:$PW" -out ec-p384-enc-aes128-sha512.key.pem
openssl pkcs8 -topk8 -v2 des3 -v2prf hmacWithSHA1 -in ec-p521-pkcs8.key.pem -passout "pass:$PW" -out ec-p521-enc-des3.key.pem
openssl pkcs8 -topk8 -scrypt -in rsa-pss-genpkey.key.pem -passout "pass:$PW" -out rsa-pss-enc-scrypt.key.pem
# PKCS#5 v1.5 / PKCS#12 PBE (not PBES2): refused with "decrypt it first".
openssl pkcs8 -topk8 -v1 PBE-SHA1-3DES -in rsa3072.key.pem -passout "pass:$PW" -out rsa3072-enc-pbes1.key.pem
# Legacy OpenSSL "Proc-Type: 4,ENCRYPTED" PEM: refused with "decrypt it first".
openssl rsa -in rsa3072.key.pem -aes256 -traditional -passout "pass:$PW" -out rsa3072-legacy-enc.key.pem

# --- PKCS#12 ------------------------------------------------------------
# OpenSSL 3 default: PBES2/PBKDF2/AES-256-CBC, SHA-256 MAC.
openssl pkcs12 -export -inkey rsa3072.key.pem -in rsa3072.cert.pem -passout "pass:$PW" -out rsa3072-openssl3.pfx
# Legacy: RC2-40 certificates, 3DES key, SHA-1 MAC.
openssl pkcs12 -export -legacy -inkey rsa3072.key.pem -in rsa3072.cert.pem -passout "pass:$PW" -out rsa3072-legacy.pfx
# Empty password.
openssl pkcs12 -export -inkey rsa3072.key.pem -in rsa3072.cert.pem -passout pass: -out rsa3072-emptypw.pfx
# Non-ASCII password.
openssl pkcs12 -export -inkey rsa3072.key.pem -in rsa3072.cert.pem -passout "pass:$NONASCII_PW" -out rsa3072-nonascii.pfx
# EC keys.
openssl pkcs12 -export -inkey ec-p256-pkcs8.key.pem -in ec-p256.cert.pem -passout "pass:$PW" -out ec-p256.pfx
openssl pkcs12 -export -legacy -inkey ec-p384-pkcs8.key.pem -in ec-p384.cert.pem -passout "pass:$PW" -out ec-p384-legacy.pfx
openssl pkcs12 -export -inkey ec-p521-pkcs8.key.pem -in ec-p521.cert.pem -passout "pass:$PW" -out ec-p521.pfx
# RSA-PSS key and certificate from Oracle's recipe, default and legacy.
openssl pkcs12 -export -inkey rsa-pss-oracle.key.pem -in rsa-pss-oracle.cert.pem -passout "pass:$PW" -out rsa-pss-oracle.pfx
openssl pkcs12 -export -legacy -inkey rsa-pss-oracle.key.pem -in rsa-pss-oracle.cert.pem -passout "pass:$PW" -out rsa-pss-oracle-legacy.pfx
# secp256k1 (refused when loading: Go cannot read the curve).
openssl pkcs12 -export -inkey ec-secp256k1-sec1.key.pem -in ec-secp256k1.cert.pem -passout "pass:$PW" -out ec-secp256k1.pfx
# Ed25519 (loads; Check refuses).
openssl pkcs12 -export -inkey ed25519.key.pem -in ed25519.cert.pem -passout "pass:$PW" -out ed25519.pfx
# RSA 2048 (loads; Check refuses).
openssl pkcs12 -export -inkey rsa2048.key.pem -in rsa2048.cert.pem -passout "pass:$PW" -out rsa2048.pfx

# A small CA and a leaf it signs; the PKCS#12 file holds the leaf, its key
# and the CA certificate. (openssl always writes the leaf's bag first; the
# tests build a CA-first file with go-pkcs12 to prove leaf selection by key.)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days "$DAYS" \
  -subj "$(subj chain-ca)" -addext basicConstraints=critical,CA:TRUE \
  -addext keyUsage=critical,keyCertSign,cRLSign -keyout chain-ca.key.pem -out chain-ca.cert.pem
openssl req -new -newkey rsa:3072 -nodes -subj "$(subj chain-leaf)" \
  -keyout chain-leaf.key.pem -out chain-leaf.csr
openssl x509 -req -in chain-leaf.csr -CA chain-ca.cert.pem -CAkey chain-ca.key.pem \
  -set_serial 2 -days "$DAYS" -sha256 -out chain-leaf.cert.pem
rm -f chain-leaf.csr
openssl pkcs12 -export -inkey chain-leaf.key.pem -in chain-leaf.cert.pem \
  -certfile chain-ca.cert.pem -passout "pass:$PW" -out chain.pfx
cat chain-leaf.cert.pem chain-ca.cert.pem > chain.certs.pem
# Certificates only, no key.
openssl pkcs12 -export -nokeys -in rsa3072.cert.pem -passout "pass:$PW" -out certonly.pfx

# What `openssl pkcs12 -nodes` prints: key and certificate with "Bag Attributes" text around them.
openssl pkcs12 -in rsa3072-openssl3.pfx -passin "pass:$PW" -nodes -out rsa3072-from-pfx.pem

# x5t#256 of rsa3072.cert.pem computed by openssl, to cross-check Thumbprint.
openssl x509 -in rsa3072.cert.pem -outform der | openssl dgst -sha256 -binary \
  | openssl base64 -A | tr '+/' '-_' | tr -d '=' > rsa3072.cert.x5t256

echo "fixtures regenerated in $(pwd)"
