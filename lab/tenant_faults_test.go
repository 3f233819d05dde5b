package lab

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
)

// Each tenant fault produces the wire behaviour it names, seen through MSAL.

func signIn(t *testing.T, w *World) public.AuthResult {
	t.Helper()
	res, err := deviceCodeToken(t, w, publicClient(t, w, AzureCLIAppID), gatewayScope(w))
	if err != nil {
		t.Fatalf("device code: %v", err)
	}
	return res
}

func TestFaultGatewayV1Token(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{Faults: []string{"gateway-v1-token"}})
	res := signIn(t, w)
	verifyToken(t, w, res.AccessToken)
	c := claimsOf(t, res.AccessToken)
	wantClaims(t, c, map[string]any{
		"iss": "https://sts.windows.net/" + w.TenantID + "/", "ver": "1.0",
		"aud": "api://" + w.GatewayAppID, "appid": AzureCLIAppID, "appidacr": "0",
		"scp": GatewayScope, "oid": DefaultUser.OID, "upn": DefaultUser.Email,
	})
	if c["azp"] != nil || c["preferred_username"] != nil {
		t.Errorf("v1 tokens carry appid and upn, not azp and preferred_username: %v", c)
	}
	p, _ := parseJWT(res.AccessToken)
	if p.header["x5t"] != w.keyID {
		t.Errorf("v1 header %v lacks x5t", p.header)
	}
	// Entra takes a v1 token as an OBO assertion: its audience is the
	// gateway's App ID URI.
	if _, err := oboToken(t, w, w.GatewaySecret, res.AccessToken, mcpDefault(w)); err != nil {
		t.Errorf("OBO with a v1 assertion: %v", err)
	}
}

func TestFaultMCPAPIV1Token(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{Faults: []string{"mcp-api-v1-token"}})
	res := signIn(t, w)
	wantClaims(t, claimsOf(t, res.AccessToken), map[string]any{"ver": "2.0", "iss": w.Issuer()})
	obo, err := oboToken(t, w, w.GatewaySecret, res.AccessToken, mcpDefault(w))
	if err != nil {
		t.Fatalf("OBO: %v", err)
	}
	verifyToken(t, w, obo.AccessToken)
	wantClaims(t, claimsOf(t, obo.AccessToken), map[string]any{
		"iss": "https://sts.windows.net/" + w.TenantID + "/", "ver": "1.0",
		"aud": "api://" + w.MCPAPIAppID, "appid": w.GatewayAppID, "appidacr": "1",
		"scp": MCPAPIScope, "oid": DefaultUser.OID, "tid": w.TenantID,
	})
}

func TestFaultWrongAudience(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{Faults: []string{"wrong-audience"}})
	res := signIn(t, w)
	wantClaims(t, claimsOf(t, res.AccessToken), map[string]any{"aud": w.MCPAPIAppID, "scp": GatewayScope})
	_, err := oboToken(t, w, w.GatewaySecret, res.AccessToken, mcpDefault(w))
	assertMSALEntraError(t, err, 400, "invalid_grant", 500131)
}

func TestFaultMissingScope(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{Faults: []string{"missing-scope"}})
	for _, scopes := range [][]string{gatewayScope(w), {"api://" + w.GatewayAppID + "/.default"}} {
		res, err := deviceCodeToken(t, w, publicClient(t, w, AzureCLIAppID), scopes)
		if err != nil {
			t.Fatalf("%v: MSAL must accept the response: %v", scopes, err)
		}
		wantClaims(t, claimsOf(t, res.AccessToken), map[string]any{"scp": missingScopeName, "aud": w.GatewayAppID})
	}
}

func TestFaultExpiredToken(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{Faults: []string{"expired-token"}})
	c := publicClient(t, w, AzureCLIAppID)
	res, err := deviceCodeToken(t, w, c, gatewayScope(w))
	if err != nil {
		t.Fatalf("MSAL must accept an already expired token: %v", err)
	}
	claims := claimsOf(t, res.AccessToken)
	if exp := claims["exp"].(int64); exp >= time.Now().Unix() {
		t.Errorf("exp %d is not in the past", exp)
	}
	if claims["nbf"].(int64) >= claims["exp"].(int64) {
		t.Errorf("nbf after exp: %v", claims)
	}
	// MSAL keeps no access token that expires within five minutes: each
	// silent call redeems the refresh token and gets another expired token.
	again, err := c.AcquireTokenSilent(testContext(t), gatewayScope(w), public.WithSilentAccount(res.Account))
	if err != nil {
		t.Fatalf("silent: %v", err)
	}
	if again.AccessToken == res.AccessToken {
		t.Errorf("silent call answered from the cache")
	}
	if exp := claimsOf(t, again.AccessToken)["exp"].(int64); exp >= time.Now().Unix() {
		t.Errorf("refreshed token not expired")
	}
	_, err = oboToken(t, w, w.GatewaySecret, res.AccessToken, mcpDefault(w))
	assertMSALEntraError(t, err, 400, "invalid_grant", 500133)
}

func TestFaultClientNotAuthorized(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{Faults: []string{"client-not-authorized"}})
	_, err := publicClient(t, w, AzureCLIAppID).AcquireTokenByDeviceCode(testContext(t), gatewayScope(w))
	assertMSALEntraError(t, err, 400, "invalid_client", 65005)
	if !strings.Contains(err.Error(), AzureCLIAppID) {
		t.Errorf("the error names no client: %v", err)
	}
}

// deviceCodeErrorBody digs Entra's JSON out of a device-code polling error:
// MSAL consumes the body, only the error text keeps it, after the first line.
func deviceCodeErrorBody(t *testing.T, err error) (int, map[string]any) {
	t.Helper()
	var ce msalerrors.CallErr
	if !errors.As(err, &ce) {
		t.Fatalf("want an Entra error, got %v", err)
	}
	_, text, ok := strings.Cut(err.Error(), "\n")
	var body map[string]any
	if !ok || json.Unmarshal([]byte(text), &body) != nil {
		t.Fatalf("no Entra JSON in %q", err)
	}
	return ce.Resp.StatusCode, body
}

func TestFaultDeviceCodeDeclined(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{Faults: []string{"device-code-declined"}})
	_, err := deviceCodeToken(t, w, publicClient(t, w, AzureCLIAppID), gatewayScope(w))
	status, body := deviceCodeErrorBody(t, err)
	assertEntraError(t, status, body, 400, "authorization_declined", 70000)
}

func TestOBOFaults(t *testing.T) {
	t.Parallel()
	cases := []struct {
		fault  string
		status int
		err    string
		code   int
		check  func(t *testing.T, body map[string]any)
	}{
		{"mfa-required", 400, "interaction_required", 50076, func(t *testing.T, body map[string]any) {
			var claims map[string]map[string]map[string]any
			if err := json.Unmarshal([]byte(body["claims"].(string)), &claims); err != nil || claims["access_token"]["capolids"]["essential"] != true {
				t.Errorf("claims challenge %v (%v)", body["claims"], err)
			}
			if body["suberror"] != "basic_action" {
				t.Errorf("suberror %v", body["suberror"])
			}
		}},
		{"obo-no-consent", 400, "invalid_grant", 65001, func(t *testing.T, body map[string]any) {
			if body["suberror"] != "consent_required" {
				t.Errorf("suberror %v", body["suberror"])
			}
		}},
		{"obo-invalid-assertion", 400, "invalid_grant", 50013, nil},
		{"obo-invalid-scope", 400, "invalid_scope", 70011, nil},
		{"obo-bad-secret", 401, "invalid_client", 7000215, nil},
	}
	for _, tc := range cases {
		t.Run(tc.fault, func(t *testing.T) {
			t.Parallel()
			w := startWorld(t, Options{Faults: []string{tc.fault}})
			res := signIn(t, w)
			_, err := oboToken(t, w, w.GatewaySecret, res.AccessToken, mcpDefault(w))
			assertMSALEntraError(t, err, tc.status, tc.err, tc.code)
			if tc.check != nil {
				// The body was read once by assertMSALEntraError; MSAL keeps a copy in the error text.
				_, text, _ := strings.Cut(err.Error(), "\n")
				var body map[string]any
				if json.Unmarshal([]byte(text), &body) != nil {
					t.Fatalf("no JSON in %q", err)
				}
				tc.check(t, body)
			}
		})
	}
}

func TestFaultsCombine(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{Faults: []string{"gateway-v1-token", "missing-scope", "mcp-api-v1-token"}})
	res := signIn(t, w)
	wantClaims(t, claimsOf(t, res.AccessToken), map[string]any{"ver": "1.0", "scp": missingScopeName})
	obo, err := oboToken(t, w, w.GatewaySecret, res.AccessToken, mcpDefault(w))
	if err != nil {
		t.Fatalf("OBO: %v", err)
	}
	wantClaims(t, claimsOf(t, obo.AccessToken), map[string]any{"ver": "1.0", "aud": "api://" + w.MCPAPIAppID})
}
