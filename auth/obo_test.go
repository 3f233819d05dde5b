package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/c7doctor/c7doctor/lab"
	"github.com/c7doctor/c7doctor/lab/labtest"
)

func oboRequest(w *lab.World) OBORequest {
	return OBORequest{
		AuthorityHost: w.AuthorityHost, Tenant: w.TenantID, ClientID: w.GatewayAppID,
		Secret:    w.GatewaySecret,
		Assertion: w.MintToken(w.UserTokenClaims(lab.DefaultUser)),
		Scopes:    []string{"api://" + w.MCPAPIAppID + "/.default"}, HTTPClient: w.Client,
	}
}

func oboContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestOnBehalfOf(t *testing.T) {
	w := labtest.Start(t, lab.Options{})
	req := oboRequest(w)
	// Twice: a second exchange must work too (a persistent cache breaks it).
	for i := 0; i < 2; i++ {
		res, err := OnBehalfOf(oboContext(t), req)
		if err != nil {
			t.Fatalf("exchange %d: %v", i, err)
		}
		tok, err := Decode(res.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		if !tok.Claims.HasAudience(w.MCPAPIAppID) || !tok.Claims.HasScope("mcp.access") || tok.Claims.Oid != lab.DefaultUser.OID {
			t.Errorf("OBO token claims: aud %v scp %v oid %s", tok.Claims.Aud, tok.Claims.Scp, tok.Claims.Oid)
		}
		if !res.ExpiresOn.After(time.Now()) || res.Duration <= 0 {
			t.Errorf("expires %v duration %v", res.ExpiresOn, res.Duration)
		}
	}
}

func TestOnBehalfOfRefusals(t *testing.T) {
	tests := []struct {
		fault  string
		mod    func(*OBORequest, *lab.World)
		code   int
		status int
		check  func(t *testing.T, e *EntraError)
	}{
		{fault: "obo-no-consent", code: 65001, status: 400},
		{fault: "obo-invalid-assertion", code: 50013, status: 400},
		{fault: "obo-invalid-scope", code: 70011, status: 400},
		{fault: "obo-bad-secret", code: 7000215, status: 401},
		{fault: "mfa-required", code: 50076, status: 400, check: func(t *testing.T, e *EntraError) {
			if e.Claims == "" || e.Suberror != "basic_action" {
				t.Errorf("claims %q suberror %q", e.Claims, e.Suberror)
			}
		}},
		{mod: func(r *OBORequest, _ *lab.World) { r.Secret = "not-the-secret-value" }, code: 7000215, status: 401},
		{mod: func(r *OBORequest, w *lab.World) {
			claims := w.UserTokenClaims(lab.DefaultUser)
			claims["exp"] = time.Now().Add(-time.Hour).Unix()
			r.Assertion = w.MintToken(claims)
		}, code: 500133, status: 400},
	}
	for _, tt := range tests {
		name := tt.fault
		if name == "" {
			name = fmt.Sprintf("AADSTS%d", tt.code)
		}
		t.Run(name, func(t *testing.T) {
			var faults []string
			if tt.fault != "" {
				faults = []string{tt.fault}
			}
			w := labtest.Start(t, lab.Options{Faults: faults})
			req := oboRequest(w)
			if tt.mod != nil {
				tt.mod(&req, w)
			}
			_, err := OnBehalfOf(oboContext(t), req)
			var oe *OBOError
			if !errors.As(err, &oe) || oe.Entra == nil {
				t.Fatalf("err = %v, want an Entra refusal", err)
			}
			if !oe.Entra.Has(tt.code) || oe.Entra.HTTPStatus != tt.status {
				t.Errorf("codes %v status %d, want %d/%d", oe.Entra.Codes, oe.Entra.HTTPStatus, tt.code, tt.status)
			}
			if oe.Entra.TraceID == "" || oe.Entra.CorrelationID == "" {
				t.Errorf("no trace/correlation id: %+v", oe.Entra)
			}
			if strings.Contains(err.Error(), w.GatewaySecret) {
				t.Errorf("the error holds the secret")
			}
			if tt.check != nil {
				tt.check(t, oe.Entra)
			}
		})
	}
}

func TestOnBehalfOfBadAuthority(t *testing.T) {
	for _, host := range []string{"http://login.example", "not a url", ""} {
		_, err := OnBehalfOf(context.Background(), OBORequest{AuthorityHost: host, Tenant: "t", ClientID: "c", Secret: "s", Assertion: "a", Scopes: []string{"x"}})
		var oe *OBOError
		if !errors.As(err, &oe) || oe.Entra != nil {
			t.Errorf("%q: err = %v", host, err)
		}
	}
}
