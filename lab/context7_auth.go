package lab

import (
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// c7EntraConfig is a teamspace's "Microsoft Entra ID" card in the Context7
// dashboard (guide Part 4 Step 1), which the server fetches by audience.
type c7EntraConfig struct {
	TenantID      string
	RequiredScope string
}

// dashboard is the Entra configuration Context7 holds, keyed by audience, as
// the admin entered it. The c7-* faults are the entries an admin gets wrong.
func (c *context7) dashboard() map[string]c7EntraConfig {
	audience, cfg := c.w.MCPAPIAppID, c7EntraConfig{TenantID: c.w.TenantID, RequiredScope: "mcp.access"}
	if c.w.Has("c7-unknown-audience") {
		audience = c.w.GatewayAppID // the gateway app's id pasted instead of the MCP API app's
	}
	if c.w.Has("c7-missing-scope") {
		cfg.RequiredScope = "api://" + c.w.MCPAPIAppID + "/mcp.access" // the full scope URI, which scp never holds
	}
	if c.w.Has("c7-tenant-mismatch") {
		cfg.TenantID = OtherTenantID
	}
	return map[string]c7EntraConfig{audience: cfg}
}

// provisioned reports whether the teamspace has a (tenant, oid) mapping for
// the user (guide Part 4 Step 2).
func (c *context7) provisioned(tenantID, oid string) bool {
	if c.w.Has("c7-user-not-provisioned") {
		return false
	}
	for _, u := range c.w.Users {
		if u.OID == oid && tenantID == c.w.TenantID {
			return true
		}
	}
	return false
}

// authenticate is the /mcp/oauth gate of the real server: no key at all is
// "Authentication required…"; a key shaped like a JWT must pass validateJWT;
// any other key is let through (the Context7 API judges it later). It returns
// the 401 message, or "" to go on.
func (c *context7) authenticate(apiKey string) string {
	if apiKey == "" {
		return "Authentication required. Please authenticate to use this MCP server."
	}
	if !c7IsJWT(apiKey) {
		return ""
	}
	if _, msg := c.validateJWT(apiKey); msg != "" {
		return msg
	}
	return ""
}

func c7IsJWT(s string) bool { return len(strings.Split(s, ".")) == 3 }

// validateJWT ports validateJWT of @upstash/context7-mcp 4.1.1
// (dist/lib/jwt.js), with the lab's authority host in place of
// https://login.microsoftonline.com. The order of its checks decides which
// message a bad token earns:
//  1. the payload is decoded unverified; an issuer matching
//     <authority>/<36 chars of hex and dashes>/v2.0 takes the Entra path,
//     anything else (a v1 issuer included) is checked against Context7's own
//     OAuth server, whose keys never match a tenant's: "Invalid token";
//  2. aud must be a string: "Missing audience";
//  3. the dashboard must hold that audience: "Unknown audience";
//  4. jose's jwtVerify against the configured tenant's JWKS: no key for the
//     kid or alg is "Invalid token", a bad signature "Invalid signature"
//     (Entra's signing keys are shared by every tenant, so a token of the lab
//     tenant verifies against any tenant's JWKS); then the issuer must be the
//     configured tenant's v2 issuer and nbf not in the future, else "Invalid
//     token claims"; exp in the past is "Token expired";
//  5. the required scope must be one of the space-separated scp values:
//     "Missing required scope".
//
// It returns the claims of a valid token, or the refusal message.
func (c *context7) validateJWT(token string) (map[string]any, string) {
	parts := strings.Split(token, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, "Invalid token"
	}
	var claims map[string]any
	if json.Unmarshal(payload, &claims) != nil || claims == nil {
		return nil, "Invalid token"
	}
	iss, _ := claims["iss"].(string)
	entraIssuer := regexp.MustCompile(`^` + regexp.QuoteMeta(c.w.AuthorityHost) + `/[0-9a-f-]{36}/v2\.0$`)
	if !entraIssuer.MatchString(iss) {
		return nil, "Invalid token"
	}
	aud, _ := claims["aud"].(string)
	if aud == "" {
		return nil, "Missing audience"
	}
	cfg, ok := c.dashboard()[aud]
	if !ok {
		return nil, "Unknown audience"
	}
	if msg := c.verifySignature(parts); msg != "" {
		return nil, msg
	}
	if iss != c.w.AuthorityHost+"/"+cfg.TenantID+"/v2.0" {
		return nil, "Invalid token claims"
	}
	now := float64(time.Now().Unix())
	if v, present := claims["iat"]; present {
		if _, isNum := v.(float64); !isNum {
			return nil, "Invalid token claims"
		}
	}
	if v, present := claims["nbf"]; present {
		nbf, isNum := v.(float64)
		if !isNum || nbf > now {
			return nil, "Invalid token claims"
		}
	}
	if v, present := claims["exp"]; present {
		exp, isNum := v.(float64)
		if !isNum {
			return nil, "Invalid token claims"
		}
		if exp <= now {
			return nil, "Token expired"
		}
	}
	if cfg.RequiredScope != "" {
		scp, _ := claims["scp"].(string)
		if !strings.Contains(" "+scp+" ", " "+cfg.RequiredScope+" ") {
			return nil, "Missing required scope"
		}
	}
	return claims, ""
}

// verifySignature is jose's key selection from a JWKS (by kid and by the key
// type the alg needs) followed by the signature check.
func (c *context7) verifySignature(parts []string) string {
	rawHeader, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return "Invalid token"
	}
	var header struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	if json.Unmarshal(rawHeader, &header) != nil {
		return "Invalid token"
	}
	keys := gwPublishedKeys(c.w)
	var candidates []*rsa.PublicKey
	if header.Kid == "" {
		for _, k := range keys {
			candidates = append(candidates, k) // jose tries every matching key
		}
	} else if k, ok := keys[header.Kid]; ok {
		candidates = append(candidates, k)
	}
	if header.Alg != "RS256" || len(candidates) == 0 {
		return "Invalid token" // JWKSNoMatchingKey
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return "Invalid token"
	}
	for _, k := range candidates {
		if jwt.SigningMethodRS256.Verify(parts[0]+"."+parts[1], sig, k) == nil {
			return ""
		}
	}
	return "Invalid signature"
}

// apiRefusal is what the Context7 API answers a tool call's key with, as the
// server words it: "" when the call is served; else the text the server falls
// back to for an HTTP 401 from the API. Without a key the API serves anyone
// (with lower rate limits). A JWT is served when it validates and its (tid,
// oid) is provisioned; the lab holds no ctx7sk API keys, so any other key is
// refused.
func (c *context7) apiRefusal(caller c7Caller) string {
	const invalidKey = "Invalid API key. Please check your API key. API keys should start with 'ctx7sk' prefix."
	if caller.apiKey == "" {
		return ""
	}
	if !c7IsJWT(caller.apiKey) || !caller.oauth {
		return invalidKey
	}
	claims, msg := c.validateJWT(caller.apiKey)
	if msg != "" {
		return invalidKey
	}
	tid, _ := claims["tid"].(string)
	oid, _ := claims["oid"].(string)
	if !c.provisioned(tid, oid) {
		return invalidKey
	}
	return ""
}
