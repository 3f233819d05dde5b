package checks

import (
	"context"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/c7doctor/c7doctor/azure"
	"github.com/c7doctor/c7doctor/lab"
	"github.com/c7doctor/c7doctor/wire"
)

// labGraph reads the lab's Graph stand-in on the run's client.
func labGraph(t testing.TB, w *lab.World, client *wire.Client) *azure.Graph {
	t.Helper()
	g, err := azure.NewGraph(azure.GraphOptions{Endpoint: w.GraphURL, Credential: labGraphCredential{w}, HTTPClient: client.HTTPClient(), Timeout: client.Timeout()})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// labGraphCredential hands out the app-only tokens the lab's tenant would
// issue a reader for its Graph stand-in.
type labGraphCredential struct{ w *lab.World }

func (c labGraphCredential) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	now := time.Now()
	exp := now.Add(time.Hour)
	tok := c.w.MintToken(map[string]any{
		"aud": c.w.GraphURL, "iss": c.w.IssuerV1(), "tid": c.w.TenantID, "ver": "1.0", "idtyp": "app",
		"iat": now.Add(-5 * time.Minute).Unix(), "nbf": now.Add(-5 * time.Minute).Unix(), "exp": exp.Unix(),
	})
	return azcore.AccessToken{Token: tok, ExpiresOn: exp}, nil
}
