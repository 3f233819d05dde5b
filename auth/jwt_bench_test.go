package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"testing"
	"time"
)

// benchToken is a gateway token shaped like Entra's v2 access tokens, with
// every claim the guide's hop table and validate-azure-ad-token look at.
func benchToken(b *testing.B) string {
	now := time.Now()
	return mint(b, nil, map[string]any{
		"aud": gatewayID, "iss": "https://login.microsoftonline.com/" + tenantID + "/v2.0",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"aio": "AWQAm/8ZAAAA3f7Yq0n2pZ1Xn5bq0r8Jt9kFvUu0N1p2qM3b4c5d6e7f8g9h0i1j2k3l4m5n6o7p8q9r0s1t2u3v4w5x6y7z8==",
		"azp": azureCLI, "azpacr": "0", "name": "Ada Lab", "oid": userOID,
		"preferred_username": "ada@contoso-lab.onmicrosoft.com", "rh": "1.AXkAL14cehtLik6cbyIbCpnvcEGcKz9ujXtKtcKeHw1KbIN5AA.",
		"scp": "Mcp.Gateway.Access", "sid": "00a1b2c3-d4e5-f6a7-b8c9-d0e1f2a3b4c5", "sub": "q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c",
		"tid": tenantID, "uti": "Zx8yW7vU6tS5rQ4pO3nM2l", "ver": "2.0", "xms_ftd": "abc123def456",
	})
}

// benchKeySet is a JWKS like a tenant's: the signing key among others, as
// Entra publishes several at once during rollover.
func benchKeySet(b *testing.B) []byte {
	keys := []map[string]any{}
	add := func(kid string, pub *rsa.PublicKey) {
		keys = append(keys, map[string]any{
			"kty": "RSA", "use": "sig", "kid": kid, "x5t": kid,
			"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		})
	}
	for _, kid := range []string{"rollover-a", "rollover-b", "rollover-c"} {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			b.Fatal(err)
		}
		add(kid, &k.PublicKey)
	}
	add("test-kid", &signingKey(b).PublicKey)
	data, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkDecode is what `token decode` and every claims check do first.
func BenchmarkDecode(b *testing.B) {
	raw := benchToken(b)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify checks an RS256 signature against a prepared key set.
func BenchmarkVerify(b *testing.B) {
	tok, err := Decode(benchToken(b))
	if err != nil {
		b.Fatal(err)
	}
	v, err := NewVerifier(benchKeySet(b))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyWithKeySet is a run's cost: read the tenant's JWKS, then verify.
func BenchmarkVerifyWithKeySet(b *testing.B) {
	tok, err := Decode(benchToken(b))
	if err != nil {
		b.Fatal(err)
	}
	jwks := benchKeySet(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := Verify(tok, jwks); err != nil {
			b.Fatal(err)
		}
	}
}
