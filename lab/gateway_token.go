package lab

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// validateToken is validate-azure-ad-token as the guide configures it:
// tenant-id = the lab tenant, header-name Authorization (Bearer scheme),
// audiences = the gateway app id, required claim scp = Mcp.Gateway.Access
// (match any, no separator).
//
// What the policy accepts beyond that is modelled on the Microsoft.IdentityModel
// validation APIM runs for it:
//   - signature by one of the tenant's published keys (RS256 with a known kid);
//   - issuer: the tenant's v2 issuer or its v1 issuer https://sts.windows.net/<tid>/,
//     both being Entra issuers of the configured tenant;
//   - audience: the configured value, or its api:// Application ID URI form
//     (what v1 tokens carry);
//   - exp required and in the future, nbf not in the future, no clock skew.
//
// It returns the raw token and its claims; the error says why it was refused
// (for the lab's log; the caller only ever sees APIM's "Unauthorized.").
func (g *gateway) validateToken(r *http.Request) (string, jwt.MapClaims, error) {
	header := r.Header.Get("Authorization")
	if header == "" {
		return "", nil, errors.New("no Authorization header")
	}
	scheme, raw, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(raw) == "" {
		return "", nil, errors.New("the Authorization header is not a Bearer token")
	}
	raw = strings.TrimSpace(raw)
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		key, ok := gwPublishedKeys(g.w)[kid]
		if !ok {
			return nil, fmt.Errorf("kid %q is not among the tenant's signing keys", kid)
		}
		return key, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithExpirationRequired(), jwt.WithLeeway(0))
	if err != nil {
		return "", nil, fmt.Errorf("token: %w", err)
	}
	iss, _ := claims["iss"].(string)
	v2 := g.w.AuthorityHost + "/" + g.w.TenantID + "/v2.0"
	v1 := "https://sts.windows.net/" + g.w.TenantID + "/"
	if iss != v2 && iss != v1 {
		return "", nil, fmt.Errorf("issuer %q is not the tenant's (%s or %s)", iss, v2, v1)
	}
	aud, err := claims.GetAudience()
	if err != nil {
		return "", nil, fmt.Errorf("token: aud: %w", err)
	}
	if !slices.Contains(aud, g.w.GatewayAppID) && !slices.Contains(aud, "api://"+g.w.GatewayAppID) {
		return "", nil, fmt.Errorf("audience %q is not %s", []string(aud), g.w.GatewayAppID)
	}
	if !gwClaimHas(claims["scp"], "Mcp.Gateway.Access") {
		return "", nil, fmt.Errorf("required claim scp=Mcp.Gateway.Access missing (scp %v)", claims["scp"])
	}
	return raw, claims, nil
}

// gwClaimHas is required-claims without a separator: the claim's value (or,
// for a JSON array, one of its values) must equal want.
func gwClaimHas(v any, want string) bool {
	switch v := v.(type) {
	case string:
		return v == want
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok && s == want {
				return true
			}
		}
	}
	return false
}
