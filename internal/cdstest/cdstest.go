// Package cdstest makes what tests of CDS Hooks client authentication need:
// an EHR with its own key pair that signs client JWTs, and hand-assembled
// tokens for the cases a signer refuses to make.
package cdstest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// EHR is a CDS client with a key pair made in the test.
type EHR struct {
	Iss  string
	Kid  string
	Alg  jose.SignatureAlgorithm
	Priv crypto.Signer
}

// NewEHR makes an EHR that signs with alg (ES384, ES256, or else RSA).
func NewEHR(tb testing.TB, iss, kid string, alg jose.SignatureAlgorithm) *EHR {
	tb.Helper()
	var (
		priv crypto.Signer
		err  error
	)
	switch alg {
	case jose.ES384:
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case jose.ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return &EHR{Iss: iss, Kid: kid, Alg: alg, Priv: priv}
}

// JWKS is the EHR's public key set.
func (e *EHR) JWKS(tb testing.TB) json.RawMessage {
	tb.Helper()
	return mustJSON(tb, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: e.Priv.Public(), KeyID: e.Kid, Algorithm: string(e.Alg), Use: "sig"}}})
}

// Claims are a valid client JWT's claims for aud, with a fresh jti.
func (e *EHR) Claims(aud string) jwt.Claims {
	now := time.Now()
	return jwt.Claims{Issuer: e.Iss, Subject: "ehr-client", Audience: jwt.Audience{aud}, Expiry: jwt.NewNumericDate(now.Add(4 * time.Minute)),
		IssuedAt: jwt.NewNumericDate(now), ID: rand.Text()}
}

// Sign signs claims (any JSON object) as a compact JWT.
func (e *EHR) Sign(tb testing.TB, claims any) string {
	tb.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: e.Alg, Key: e.Priv}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", e.Kid))
	if err != nil {
		tb.Fatal(err)
	}
	s, err := jwt.Signed(sig).Claims(claims).Serialize()
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// RawJWT assembles a token from a header and claims with the signature
// bytes sign returns for the signing input.
func RawJWT(tb testing.TB, header map[string]any, claims any, sign func(input []byte) []byte) string {
	tb.Helper()
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(mustJSON(tb, header)) + "." + enc.EncodeToString(mustJSON(tb, claims))
	return input + "." + enc.EncodeToString(sign([]byte(input)))
}

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
