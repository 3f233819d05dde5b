package lab

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"sync"
	"time"
)

// signingKey is one RSA key of the tenant with the self-signed certificate
// Entra publishes it in: kid and x5t are both the certificate's SHA-1
// thumbprint, base64url, as in Entra's JWKS.
type signingKey struct {
	priv    *rsa.PrivateKey
	cert    *x509.Certificate
	kid     string
	sha1Hex string // the thumbprint as Entra quotes it in AADSTS50013
}

func newSigningKey(priv *rsa.PrivateKey) (*signingKey, error) {
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()),
		Subject:      pkix.Name{CommonName: "accounts.accesscontrol.windows.net"},
		NotBefore:    now.Add(-24 * time.Hour).Truncate(time.Second),
		NotAfter:     now.Add(5 * 365 * 24 * time.Hour).Truncate(time.Second),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		return nil, fmt.Errorf("signing certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("signing certificate: %w", err)
	}
	sum := sha1.Sum(der)
	return &signingKey{
		priv:    priv,
		cert:    cert,
		kid:     base64.RawURLEncoding.EncodeToString(sum[:]),
		sha1Hex: strings.ToUpper(hex.EncodeToString(sum[:])),
	}, nil
}

var (
	spareKeyOnce sync.Once
	spareKey     *signingKey
	spareKeyErr  error
)

// sparePublishedKey is a second key the JWKS lists and nothing is signed
// with, as Entra always publishes more keys than it uses. One per process:
// generating RSA keys is the slow part of starting a world.
func sparePublishedKey() (*signingKey, error) {
	spareKeyOnce.Do(func() {
		priv, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			spareKeyErr = err
			return
		}
		spareKey, spareKeyErr = newSigningKey(priv)
	})
	return spareKey, spareKeyErr
}

// jwk is one key of Entra's v2 JWKS, field order as Entra sends it.
type jwk struct {
	Kty    string   `json:"kty"`
	Use    string   `json:"use"`
	Kid    string   `json:"kid"`
	X5t    string   `json:"x5t"`
	N      string   `json:"n"`
	E      string   `json:"e"`
	X5c    []string `json:"x5c"`
	Issuer string   `json:"issuer,omitempty"`
}

func (k *signingKey) jwk(issuer string) jwk {
	pub := k.priv.PublicKey
	return jwk{
		Kty:    "RSA",
		Use:    "sig",
		Kid:    k.kid,
		X5t:    k.kid,
		N:      base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		E:      base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		X5c:    []string{base64.StdEncoding.EncodeToString(k.cert.Raw)},
		Issuer: issuer,
	}
}

// leadingClaims open every Entra token in this order; the rest follow sorted.
var leadingClaims = []string{"aud", "iss", "iat", "nbf", "exp"}

// encodeClaims writes claims in the order Entra writes them.
func encodeClaims(claims map[string]any) ([]byte, error) {
	var keys []string
	for k := range claims {
		keys = append(keys, k)
	}
	rank := func(k string) int {
		for i, l := range leadingClaims {
			if k == l {
				return i
			}
		}
		return len(leadingClaims)
	}
	sort.Slice(keys, func(i, j int) bool {
		ri, rj := rank(keys[i]), rank(keys[j])
		if ri != rj {
			return ri < rj
		}
		return keys[i] < keys[j]
	})
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		vb, err := json.Marshal(claims[k])
		if err != nil {
			return nil, fmt.Errorf("claim %s: %w", k, err)
		}
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// sign makes an RS256 JWS. v1 tokens carry x5t beside kid in their header.
func (k *signingKey) sign(claims map[string]any, v1 bool) (string, error) {
	header := fmt.Sprintf(`{"typ":"JWT","alg":"RS256","kid":%q}`, k.kid)
	if v1 {
		header = fmt.Sprintf(`{"typ":"JWT","alg":"RS256","x5t":%q,"kid":%q}`, k.kid, k.kid)
	}
	body, err := encodeClaims(claims)
	if err != nil {
		return "", err
	}
	signingInput := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString(body)
	sum := sha256.Sum256([]byte(signingInput))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k.priv, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	return signingInput + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// parsedJWT is a compact JWS split into its parts.
type parsedJWT struct {
	header       map[string]any
	claims       map[string]any
	signingInput string
	signature    []byte
}

var errMalformedJWT = errors.New("jwt: malformed")

func parseJWT(token string) (*parsedJWT, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errMalformedJWT
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	cb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, fmt.Errorf("%w: %w", errMalformedJWT, err)
	}
	p := &parsedJWT{signingInput: parts[0] + "." + parts[1], signature: sig}
	if err := json.Unmarshal(hb, &p.header); err != nil {
		return nil, fmt.Errorf("%w: header: %w", errMalformedJWT, err)
	}
	dec := json.NewDecoder(strings.NewReader(string(cb)))
	dec.UseNumber()
	if err := dec.Decode(&p.claims); err != nil {
		return nil, fmt.Errorf("%w: claims: %w", errMalformedJWT, err)
	}
	return p, nil
}

func (p *parsedJWT) verify(k *signingKey) bool {
	sum := sha256.Sum256([]byte(p.signingInput))
	return rsa.VerifyPKCS1v15(&k.priv.PublicKey, crypto.SHA256, sum[:], p.signature) == nil
}

func (p *parsedJWT) str(name string) string {
	s, _ := p.claims[name].(string)
	return s
}

func (p *parsedJWT) unix(name string) (time.Time, bool) {
	n, ok := p.claims[name].(json.Number)
	if !ok {
		return time.Time{}, false
	}
	v, err := n.Int64()
	if err != nil {
		f, ferr := n.Float64()
		if ferr != nil {
			return time.Time{}, false
		}
		v = int64(f)
	}
	return time.Unix(v, 0), true
}
