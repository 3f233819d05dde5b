package lab

import (
	"net/http"
	"net/url"
	"slices"
	"time"
)

// APIM's system-assigned managed identity. c7doctor's MCP policy exchanges
// tokens without a client secret: authentication-managed-identity gets a
// token of the tenant for this identity, audience api://AzureADTokenExchange,
// and the policy presents it as client_assertion; the Gateway app holds a
// federated credential that trusts it.
const (
	apimIdentityObjectID  = "6b8d0f2a-4c6e-4e8a-9b1d-3f5a7c9e1b20"
	apimIdentityAppID     = "0c4e6a8b-2d1f-4b3a-9c5e-7d9f1b3a5c7e"
	tokenExchangeAudience = "api://AzureADTokenExchange"
	clientAssertionJWT    = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	// managedIdentityTokenLife is how long the identity's tokens live.
	managedIdentityTokenLife = 24 * time.Hour
)

// dirFederated is a federated identity credential of an application.
type dirFederated struct {
	name, issuer, subject string
	audiences             []string
}

// managedIdentityToken is what authentication-managed-identity answers
// for api://AzureADTokenExchange on the lab's APIM instance.
func (w *World) managedIdentityToken(now time.Time) (string, error) {
	iat := now.Add(-tokenBackdate)
	tok, err := w.tenant.key.sign(map[string]any{
		"aud": tokenExchangeAudience, "iss": w.Issuer(), "sub": apimIdentityObjectID, "oid": apimIdentityObjectID,
		"azp": apimIdentityAppID, "tid": w.TenantID, "idtyp": "app", "ver": "2.0",
		"iat": iat.Unix(), "nbf": iat.Unix(), "exp": now.Add(managedIdentityTokenLife).Unix(),
	}, false)
	if err != nil {
		return "", err
	}
	w.tenant.remember(signatureOf(tok))
	return tok, nil
}

// authenticateAssertion checks a client assertion as Entra does for a
// federated credential: a JWT of the type the request names, signed by an
// issuer the tenant can verify (here: itself), in its valid time, whose
// issuer, subject and audience one of the app's federated credentials names.
func (t *tenant) authenticateAssertion(form url.Values, client application) error {
	if form.Get("client_assertion_type") != clientAssertionJWT {
		return badRequest("invalid_request", 50027, "JWT token is invalid or malformed.")
	}
	p, err := parseJWT(form.Get("client_assertion"))
	if err != nil {
		return errClientAssertionSignature()
	}
	kid, _ := p.header["kid"].(string)
	var key *signingKey
	for _, k := range []*signingKey{t.key, t.spare} {
		if k != nil && kid == k.kid {
			key = k
		}
	}
	if key == nil || !p.verify(key) {
		return errClientAssertionSignature()
	}
	now := time.Now()
	if exp, ok := p.unix("exp"); !ok || !now.Before(exp) {
		return &entraError{status: http.StatusUnauthorized, code: "invalid_client", aadsts: 700024, text: "Client assertion is not within its valid time range."}
	}
	iss, sub, aud := p.str("iss"), p.str("sub"), p.str("aud")
	if app := t.w.dir.app(client.appID); app != nil {
		for _, f := range app.federated {
			if f.issuer == iss && f.subject == sub && slices.Contains(f.audiences, aud) {
				return nil
			}
		}
	}
	return badRequest("invalid_request", 70021, "No matching federated identity record found for presented assertion. Assertion Issuer: '%s'. Assertion Subject: '%s'. Assertion Audience: '%s'.", iss, sub, aud)
}

func errClientAssertionSignature() *entraError {
	return &entraError{status: http.StatusUnauthorized, code: "invalid_client", aadsts: 700027, text: "Client assertion failed signature validation."}
}
