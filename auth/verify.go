package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// VerifyErrorKind sorts why a signature did not verify.
type VerifyErrorKind string

const (
	VerifyNoKeys       VerifyErrorKind = "no-keys"       // the JWKS is empty or unreadable
	VerifyKeyNotFound  VerifyErrorKind = "key-not-found" // no key with the token's kid
	VerifyBadSignature VerifyErrorKind = "bad-signature"
	VerifyGraph        VerifyErrorKind = "graph" // a Graph token: only Graph can verify it
	VerifyUnsigned     VerifyErrorKind = "unsigned"
	VerifyAlgorithm    VerifyErrorKind = "algorithm" // an alg Entra does not sign with (HS256…)
	VerifyMalformed    VerifyErrorKind = "malformed"
)

// VerifyError says why a token's signature was not accepted.
type VerifyError struct {
	Kind   VerifyErrorKind
	Kid    string
	Detail string
	Err    error
}

func (e *VerifyError) Error() string {
	msg := "verify: " + e.Detail
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *VerifyError) Unwrap() error { return e.Err }

// signingAlgs are the asymmetric algorithms a JWKS can verify. HMAC is
// refused outright: a public key used as an HMAC secret is the classic
// algorithm-confusion forgery.
var signingAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}

// Verifier checks signatures against one key set.
type Verifier struct {
	kf   keyfunc.Keyfunc
	kids []string
}

// NewVerifier reads a JWKS document (the bytes of a jwks_uri answer).
func NewVerifier(jwks []byte) (*Verifier, error) {
	if len(strings.TrimSpace(string(jwks))) == 0 {
		return nil, &VerifyError{Kind: VerifyNoKeys, Detail: "no key set"}
	}
	var doc struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(jwks, &doc); err != nil {
		return nil, &VerifyError{Kind: VerifyNoKeys, Detail: "the key set is not JSON", Err: err}
	}
	if len(doc.Keys) == 0 {
		return nil, &VerifyError{Kind: VerifyNoKeys, Detail: "the key set holds no keys"}
	}
	kf, err := keyfunc.NewJWKSetJSON(json.RawMessage(jwks))
	if err != nil {
		return nil, &VerifyError{Kind: VerifyNoKeys, Detail: "the key set cannot be read", Err: err}
	}
	v := &Verifier{kf: kf}
	for _, k := range doc.Keys {
		v.kids = append(v.kids, k.Kid)
	}
	return v, nil
}

// Kids lists the key ids of the set, in its order.
func (v *Verifier) Kids() []string { return append([]string(nil), v.kids...) }

// Verify checks the token's signature only: claims are the caller's to judge,
// with messages better than a library's.
func (v *Verifier) Verify(t *Token) error {
	if t.Graph() {
		return &VerifyError{Kind: VerifyGraph, Kid: t.Header.Kid, Detail: "this is a Microsoft Graph token (nonce header): only Graph can verify its signature"}
	}
	alg := t.Header.Alg
	if alg == "" || strings.EqualFold(alg, "none") || t.SignatureLen == 0 {
		return &VerifyError{Kind: VerifyUnsigned, Detail: "the token is not signed"}
	}
	if !contains(signingAlgs, alg) {
		return &VerifyError{Kind: VerifyAlgorithm, Kid: t.Header.Kid, Detail: fmt.Sprintf("alg %s cannot be verified with a public key set (Entra signs with RS256)", alg)}
	}
	if t.Header.Kid != "" && !contains(v.kids, t.Header.Kid) {
		return &VerifyError{Kind: VerifyKeyNotFound, Kid: t.Header.Kid,
			Detail: fmt.Sprintf("no key %q in the tenant's key set (it holds %s): the token was signed by another tenant or issuer, or the keys rolled over", t.Header.Kid, strings.Join(v.kids, ", "))}
	}
	p := jwt.NewParser(jwt.WithValidMethods(signingAlgs), jwt.WithoutClaimsValidation())
	_, err := p.Parse(t.Raw, v.kf.Keyfunc)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, jwkset.ErrKeyNotFound):
		return &VerifyError{Kind: VerifyKeyNotFound, Kid: t.Header.Kid, Detail: "no key in the tenant's key set matches the token"}
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return &VerifyError{Kind: VerifyBadSignature, Kid: t.Header.Kid, Detail: fmt.Sprintf("the signature does not match key %q: the token was altered or signed by someone else", t.Header.Kid)}
	case errors.Is(err, jwt.ErrTokenMalformed):
		return &VerifyError{Kind: VerifyMalformed, Kid: t.Header.Kid, Detail: "the token is malformed", Err: err}
	}
	return &VerifyError{Kind: VerifyBadSignature, Kid: t.Header.Kid, Detail: "the signature did not verify", Err: err}
}

// Verify checks t's signature against the JWKS bytes.
func Verify(t *Token, jwks []byte) error {
	v, err := NewVerifier(jwks)
	if err != nil {
		return err
	}
	return v.Verify(t)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
