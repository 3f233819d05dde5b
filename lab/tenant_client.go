package lab

import (
	"net/url"
	"strings"
	"time"
)

// Resources a service principal may ask an app-only token for, by the
// identifier URI a ".default" scope names: Azure Resource Manager (both of
// its URIs, as Entra accepts them) and Microsoft Graph.
var appOnlyResources = map[string]string{
	"https://management.core.windows.net/": armAppID,
	"https://management.azure.com/":        armAppID,
	"https://management.azure.com":         armAppID,
	"https://graph.microsoft.com":          graphAppID,
	"https://graph.microsoft.com/":         graphAppID,
}

const (
	armAppID   = "797f4846-ba00-4fd7-ba43-dac1f8f63013" // Windows Azure Service Management API
	graphAppID = "00000003-0000-0000-c000-000000000000"
	// readerObjectID is the reader's service principal in the directory.
	readerObjectID = "a3f1c5e7-9b2d-4f6a-8c0e-1d3b5f7a9c2e"
)

// clientCredentialsGrant issues an app-only token: a service principal,
// with its secret, asks for <resource>/.default. Like Entra's, the answer
// carries no scope and the token is v1 for ARM (aud is the resource URI,
// roles instead of scp).
func (t *tenant) clientCredentialsGrant(form url.Values, client application, now time.Time) (*tokenResponse, error) {
	if err := t.authenticateClient(form, client, true); err != nil {
		return nil, err
	}
	// MSAL adds the OpenID Connect scopes to every request; Entra ignores them here.
	var asked []string
	for _, s := range strings.Fields(form.Get("scope")) {
		if !oidcScopes[strings.ToLower(s)] {
			asked = append(asked, s)
		}
	}
	if len(asked) == 0 {
		return nil, errScopeMissing()
	}
	scope := strings.Join(asked, " ")
	resource, ok := strings.CutSuffix(scope, "/.default")
	if !ok || len(asked) > 1 {
		// client_credentials takes a single ".default" scope.
		return nil, errScopeInvalid(scope)
	}
	// The lab's own Graph stand-in is Microsoft Graph for this tenant.
	if _, known := appOnlyResources[resource]; !known && !strings.EqualFold(strings.TrimRight(resource, "/"), t.w.GraphURL) {
		if _, app := t.app(strings.TrimPrefix(resource, "api://")); !app {
			return nil, errResourceNotFound(resource)
		}
	}
	iat := now.Add(-tokenBackdate)
	claims := map[string]any{
		"aud": resource, "iss": t.w.IssuerV1(),
		"iat": iat.Unix(), "nbf": iat.Unix(), "exp": now.Add(accessTokenLife).Unix(),
		"aio": opaque(72), "appid": client.appID, "appidacr": "1", "idp": t.w.IssuerV1(),
		"idtyp": "app", "oid": readerObjectID, "rh": refreshHint(), "sub": readerObjectID,
		"tid": t.w.TenantID, "uti": randomString(22), "ver": "1.0",
	}
	at, err := t.key.sign(claims, true)
	if err != nil {
		return nil, err
	}
	t.remember(signatureOf(at))
	life := int(accessTokenLife.Seconds()) - 1
	return &tokenResponse{TokenType: "Bearer", ExpiresIn: life, ExtExpiresIn: life, AccessToken: at}, nil
}
