package auth

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"sync"
	"testing"
)

var (
	keyOnce sync.Once
	testKey *rsa.PrivateKey
)

// signingKey is one RSA key for the whole test binary (generating is slow under -race).
func signingKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		testKey = k
	})
	return testKey
}

func b64(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// mint signs header and claims with RS256 as Entra does.
func mint(t testing.TB, header, claims map[string]any) string {
	t.Helper()
	h := map[string]any{"typ": "JWT", "alg": "RS256", "kid": "test-kid"}
	for k, v := range header {
		if v == nil {
			delete(h, k)
			continue
		}
		h[k] = v
	}
	signing := b64(h) + "." + b64(claims)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, signingKey(t), crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// jwksFor is the JWKS holding the test key under kid.
func jwksFor(t testing.TB, kid string) []byte {
	t.Helper()
	pub := signingKey(t).PublicKey
	doc := map[string]any{"keys": []map[string]any{{
		"kty": "RSA", "use": "sig", "kid": kid,
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}}
	b, _ := json.Marshal(doc)
	return b
}

const (
	tenantID  = "7a1c5e2f-4b3d-4e8a-9c6f-2d1b0a9e8f70"
	gatewayID = "3f2b9c41-8d6e-4a7b-b5c2-9e1f0d4a6c83"
	userOID   = "5d9a3e71-2c4b-4f8e-a1d6-0b7c9e3f2a58"
	azureCLI  = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
)

func v2Claims() map[string]any {
	return map[string]any{
		"aud": gatewayID, "iss": "https://login.microsoftonline.com/" + tenantID + "/v2.0",
		"iat": 1767225300, "nbf": 1767225300, "exp": 1767229200,
		"azp": azureCLI, "azpacr": "0", "name": "Ada Lab", "oid": userOID,
		"preferred_username": "ada@contoso-lab.onmicrosoft.com", "scp": "Mcp.Gateway.Access",
		"sub": "Zx1", "tid": tenantID, "uti": "AbCdEf", "ver": "2.0",
	}
}
