package checks

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/c7doctor/c7doctor/mcpclient"
)

// oboFailedAnswer reports the answer c7doctor's recommended MCP policy
// returns when Entra refuses its OBO exchange: 502 {"error": "obo_failed"}.
func oboFailedAnswer(h hop, ex *mcpclient.Exchange) bool {
	if !h.gateway || ex.Status != http.StatusBadGateway {
		return false
	}
	var b struct {
		Error string `json:"error"`
	}
	return json.Unmarshal(bytes.TrimSpace(ex.Body), &b) == nil && b.Error == "obo_failed"
}

// gatewayOBOFailed explains the policy's 502: APIM's exchange presents its
// managed identity's token as client_assertion, not a secret, so c7doctor's
// own exchange (with the secret) tells the credential from the rest of the
// chain.
func gatewayOBOFailed(env *Env, r *Result, head string) string {
	detail := head + `: the MCP policy's own answer {"error": "obo_failed"}: Entra refused APIM's On-Behalf-Of exchange, which presents APIM's managed-identity token (audience api://AzureADTokenExchange) as client_assertion instead of a client secret.`
	st := &env.State.OBO
	switch {
	case st.Failed != "":
		detail += " c7doctor's own OBO exchange fails too, " + st.failedWith() + ": fix that first."
	case st.Ran:
		detail += " c7doctor's own OBO exchange with the Gateway app's secret succeeds (obo passed): Entra accepts the user's token, the scope and the consent, so what fails is the gateway's own client credential, APIM's managed identity, which the Gateway app must trust through a federated credential (Entra answers AADSTS70021 when none matches its issuer, subject and audience)."
	default:
		detail += " c7doctor did not run its own OBO exchange (no gateway secret given), so it cannot tell the managed-identity credential from the rest of the chain; the obo check does, given --gateway-secret-file."
	}
	findCaused(r, "gateway-obo-failed", detail, federatedCause(r.context(), env))
	return "gateway-obo-failed"
}

// enableSystemIdentity turns on the instance's system-assigned identity.
const enableSystemIdentity = "az apim update -g {{.ResourceGroup}} -n {{.APIMName}} --set identity.type=SystemAssigned"

// createFederatedCredential gives the Gateway app the federated credential
// that trusts APIM's system-assigned identity: the signed-in tenant's v2
// issuer, the identity's principal id as subject.
const createFederatedCredential = `az ad app federated-credential create --id {{.GatewayAppID}} --parameters "{\"name\": \"apim-managed-identity\", \"issuer\": \"{{.AuthorityHost}}/$(az account show --query tenantId -o tsv)/v2.0\", \"subject\": \"$(az apim show -g {{.ResourceGroup}} -n {{.APIMName}} --query identity.principalId -o tsv)\", \"audiences\": [\"api://AzureADTokenExchange\"]}"`
