package checks

import "github.com/c7doctor/c7doctor/report"

// tokenEntries are the findings of gateway-token and gateway-claims.
var tokenEntries = []Entry{
	// Where the token comes from.
	{
		ID: "token-none", Title: "No token for the gateway: nothing to sign in with", Severity: report.Warning,
		Section: SecSmokeCall, Check: "gateway-token",
		Fix: []string{
			"Without a terminal c7doctor cannot sign in with a device code. In CI, pass a token for api://{{.GatewayAppID}}: set C7DOCTOR_TOKEN, or --token-file with a raw token, 'Bearer …' or the JSON of az account get-access-token.",
			"Add --require gateway-token so that a run without a token exits 3 (incomplete) instead of passing.",
		},
		Commands: []string{
			"az login --tenant {{.Tenant}} --scope api://{{.GatewayAppID}}/.default",
			"export C7DOCTOR_TOKEN=\"$(az account get-access-token --resource api://{{.GatewayAppID}} --query accessToken -o tsv)\"",
		},
	},
	{
		ID: "token-invalid", Title: "The token given is not a readable JWT", Severity: report.Error,
		Section: SecSmokeCall, Check: "gateway-token",
		Fix: []string{
			"Give an access token for api://{{.GatewayAppID}}: the three dot-separated parts az account get-access-token prints as accessToken. c7doctor token decode shows what a file holds.",
		},
		Commands: []string{"az account get-access-token --resource api://{{.GatewayAppID}} --query accessToken -o tsv"},
	},
	{
		ID: "token-cache-problem", Title: "The token cache file could not be used", Severity: report.Warning,
		Check: "gateway-token",
		Fix: []string{
			"c7doctor logout removes the cache file (it is rewritten, mode 0600, at the next sign-in); --no-cache runs without one and --cache-file moves it.",
		},
	},
	{
		ID: "token-msal-failed", Title: "Signing in failed before Entra answered", Severity: report.Error,
		Check: "gateway-token",
		Fix: []string{
			"Check --authority-host ({{.AuthorityHost}}) and --tenant ({{.Tenant}}), and the network path to the authority (a proxy needs HTTPS_PROXY). tenant-keys reads the same discovery document.",
		},
		Commands: []string{"curl -sS {{.AuthorityHost}}/{{.Tenant}}/v2.0/.well-known/openid-configuration"},
	},

	// Entra's refusals during device code or a silent refresh.
	{
		ID: "token-unknown-client", Title: "Entra does not know the public client (AADSTS700016)", Severity: report.Error,
		Section: SecAuthorizeCLI, Check: "gateway-token",
		Fix: []string{
			"--client-id {{.ClientID}} is not an application in tenant {{.Tenant}}: check the id and the tenant. The default, the Azure CLI (04b07795-8ddb-461a-bbee-02f9e1bf7b46), exists in every tenant and is the client Part 6 Step 1 pre-authorizes.",
		},
	},
	{
		ID: "token-app-requested-itself", Title: "The gateway app asked for a token for itself (AADSTS90009)", Severity: report.Error,
		Section: SecAuthorizeCLI, Check: "gateway-token",
		Fix: []string{
			"--client-id is the gateway app itself, which may ask for a token for itself only by its GUID, not by its api:// URI. Sign in as another client: leave --client-id at the Azure CLI (the default), pre-authorized as Part 6 Step 1 says.",
		},
	},
	{
		ID: "token-resource-not-found", Title: "Entra does not know the gateway app's API (AADSTS500011)", Severity: report.Error,
		Section: SecGatewayApp, Check: "gateway-token",
		Fix: []string{
			"No app in tenant {{.Tenant}} exposes api://{{.GatewayAppID}}: check that --gateway-app-id is the APIM Gateway app's Application (client) ID, that --tenant is the tenant it is registered in, and that its Application ID URI is api://{{.GatewayAppID}} (Expose an API, Part 2 Step 2).",
		},
		Commands: []string{
			"az ad app show --id {{.GatewayAppID}} --query \"{appId:appId, identifierUris:identifierUris}\"",
			"az ad app update --id {{.GatewayAppID}} --identifier-uris api://{{.GatewayAppID}}",
		},
	},
	{
		ID: "token-invalid-scope", Title: "Entra refused the scope Mcp.Gateway.Access (AADSTS70011)", Severity: report.Error,
		Section: SecGatewayApp, Check: "gateway-token",
		Fix: []string{
			"The APIM Gateway app must expose the scope Mcp.Gateway.Access, enabled, under the Application ID URI api://{{.GatewayAppID}} (Part 2 Step 2, Expose an API → Add a scope).",
		},
		Commands: []string{"az ad app show --id {{.GatewayAppID}} --query \"api.oauth2PermissionScopes[].{value:value, enabled:isEnabled}\""},
	},
	{
		ID: "token-tenant-not-found", Title: "Entra does not know the tenant (AADSTS90002)", Severity: report.Error,
		Section: SecGatewayApp, Check: "gateway-token",
		Fix:      []string{"--tenant must be the Directory (tenant) ID from the APIM Gateway app's Overview page (Part 2 Step 2), or its verified domain."},
		Commands: []string{"az account show --query tenantId -o tsv"},
	},
	{
		ID: "token-user-wrong-tenant", Title: "The account signed in is not in the tenant (AADSTS50020)", Severity: report.Error,
		Section: SecPart6, Check: "gateway-token",
		Fix: []string{
			"Sign in with an account of tenant {{.Tenant}} (or one invited into it as a guest): the account used belongs to another tenant or is a personal Microsoft account. In a browser with several accounts, use a private window.",
		},
	},
	{
		ID: "token-user-not-assigned", Title: "The user is not assigned to the app (AADSTS50105)", Severity: report.Error,
		Section: SecGatewayApp, Check: "gateway-token",
		Fix: []string{
			"The app Entra names requires assignment (Enterprise applications → Properties → Assignment required): assign the user, or a group they are in, under Users and groups, or turn the requirement off.",
		},
		Commands: []string{
			"az ad sp show --id {{.GatewayAppID}} --query appRoleAssignmentRequired",
			"az ad sp update --id {{.GatewayAppID}} --set appRoleAssignmentRequired=false",
		},
	},
	{
		ID: "token-consent-cli", Title: "The Azure CLI is not authorized on the Gateway app (consent required)", Severity: report.Error,
		Section: SecAuthorizeCLI, Check: "gateway-token",
		Fix: []string{
			"Pre-authorize the Azure CLI (04b07795-8ddb-461a-bbee-02f9e1bf7b46) on the APIM Gateway app: Expose an API → Authorized client applications → Add a client application, tick api://{{.GatewayAppID}}/Mcp.Gateway.Access (Part 6 Step 1). Users are then never asked to consent.",
		},
		Commands: []string{"az ad app show --id {{.GatewayAppID}} --query \"api.preAuthorizedApplications\""},
	},
	{
		ID: "token-consent-client", Title: "The client is not authorized on the Gateway app (consent required)", Severity: report.Error,
		Section: SecPermChain, Check: "gateway-token",
		Fix: []string{
			"Pre-authorize client {{.ClientID}} on the APIM Gateway app: Expose an API → Authorized client applications → Add a client application, tick the Mcp.Gateway.Access scope (Part 2 Step 3), or have an admin grant consent.",
		},
		Commands: []string{"az ad app show --id {{.GatewayAppID}} --query \"api.preAuthorizedApplications\""},
	},
	{
		ID: "token-public-client-disabled", Title: "The client is not a public client (AADSTS7000218)", Severity: report.Error,
		Section: SecAuthorizeCLI, Check: "gateway-token",
		Fix: []string{
			"Device code needs a public client. Leave --client-id at its default, the Azure CLI (04b07795-8ddb-461a-bbee-02f9e1bf7b46), pre-authorized as Part 6 Step 1 says.",
			"Or let {{.ClientID}} sign users in without a secret: its registration must allow public client flows (Authentication → Advanced settings → Allow public client flows: Yes).",
		},
		Commands: []string{"az ad app update --id {{.ClientID}} --is-fallback-public-client true"},
	},
	{
		ID: "token-mfa-required", Title: "Entra requires multi-factor authentication (AADSTS50076/50079)", Severity: report.Error,
		Check: "gateway-token",
		Fix: []string{
			"Sign in again in a terminal and complete MFA in the browser (c7doctor logout, then c7doctor run). AADSTS50079 means the account must first register an MFA method.",
			"In CI, pass a token from a session that satisfied MFA (--token-file or C7DOCTOR_TOKEN).",
		},
	},
	{
		ID: "token-conditional-access", Title: "A Conditional Access policy blocked the sign-in (AADSTS53003)", Severity: report.Error,
		Check: "gateway-token",
		Fix: []string{
			"Entra admin center → Sign-in logs: search the correlation id below; the Conditional Access tab names the policy. Policies often block the device-code flow (Authentication flows condition): ask for an exception, or pass a token got another way with --token-file.",
		},
	},
	{
		ID: "token-grant-revoked", Title: "The cached sign-in was revoked (AADSTS50173)", Severity: report.Error,
		Check:    "gateway-token",
		Fix:      []string{"The refresh token was revoked (a password change or an admin's revocation): c7doctor logout, then sign in again in a terminal."},
		Commands: []string{"c7doctor logout"},
	},
	{
		ID: "token-refresh-expired", Title: "The cached sign-in expired (AADSTS700082, 70043, 70008)", Severity: report.Error,
		Check:    "gateway-token",
		Fix:      []string{"The refresh token expired (unused too long, or past a Conditional Access sign-in frequency): sign in again in a terminal (c7doctor run), or c7doctor logout to start afresh. Without a terminal the run cannot test the gateway: --require gateway-token makes that exit 3."},
		Commands: []string{"c7doctor logout"},
	},
	{
		ID: "token-device-code-declined", Title: "The sign-in was declined at the device-code page", Severity: report.Error,
		Section: SecPart6, Check: "gateway-token",
		Fix: []string{"Whoever entered the code chose not to sign in (authorization_declined). Run again and approve the sign-in, as the account that should reach the gateway."},
	},
	{
		ID: "token-device-code-expired", Title: "Nobody signed in before the device code expired", Severity: report.Error,
		Section: SecPart6, Check: "gateway-token",
		Fix: []string{"The code is valid for 15 minutes: run again, open the address shown and enter the code in time."},
	},
	{
		ID: "token-entra-error", Title: "Entra refused the sign-in", Severity: report.Error,
		Section: SecPart6, Check: "gateway-token",
		Fix: []string{"Look the AADSTS code up (c7doctor explain AADSTSnnnn, or https://login.microsoftonline.com/error?code=nnnn) and the sign-in logs by correlation id."},
	},

	// What the token says (gateway-claims), all under the guide's "401 Unauthorized at APIM".
	{
		ID: "token-not-verified", Title: "The token's signature was not verified", Severity: report.Warning,
		Section: SecAPIM401, Check: "gateway-claims",
		Fix: []string{"Let tenant-keys run (--only and --skip may leave it out) and pass: it fetches the keys the signature is checked with."},
	},
	{
		ID: "token-signature-invalid", Title: "The token's signature does not verify with the tenant's keys", Severity: report.Error,
		Section: SecAPIM401, Check: "gateway-claims",
		Fix: []string{"APIM's validate-azure-ad-token refuses it too: the token was altered, or issued by another tenant or a test issuer. Get a fresh token from tenant {{.Tenant}}."},
	},
	{
		ID: "token-signing-key-unknown", Title: "The token was signed with a key the tenant does not publish", Severity: report.Error,
		Section: SecAPIM401, Check: "gateway-claims",
		Fix: []string{"The token comes from another tenant or issuer (or keys rolled over long ago): get a token from tenant {{.Tenant}}."},
	},
	{
		ID: "token-unsigned", Title: "The token is not signed", Severity: report.Error,
		Section: SecAPIM401, Check: "gateway-claims",
		Fix: []string{"An unsigned token (alg none) is never accepted: get a real token from Entra."},
	},
	{
		ID: "token-graph", Title: "This is a Microsoft Graph token, not a token for the gateway", Severity: report.Error,
		Section: SecAPIM401, Check: "gateway-claims",
		Fix:      []string{"Graph tokens are for Graph only (and only Graph can verify them). Request a token for api://{{.GatewayAppID}}/Mcp.Gateway.Access instead."},
		Commands: []string{"az account get-access-token --resource api://{{.GatewayAppID}} --query accessToken -o tsv"},
	},
	{
		ID: "token-id-token", Title: "This is an ID token, not an access token", Severity: report.Error,
		Section: SecAPIM401, Check: "gateway-claims",
		Fix: []string{"An ID token proves a sign-in to the client app; APIM needs the access token for api://{{.GatewayAppID}}/Mcp.Gateway.Access (accessToken in az's JSON, access_token in a token response)."},
	},
	{
		ID: "token-app-only", Title: "This is an app-only token: no user", Severity: report.Error,
		Section: SecAPIM401, Check: "gateway-claims",
		Fix: []string{"A client-credentials token carries roles, not scp, and no user: the OBO exchange and Context7 both need a signed-in user. Get a delegated token (device code, az login as a user)."},
	},
	{
		ID: "token-wrong-issuer", Title: "The token's issuer is not the tenant's v2 issuer", Severity: report.Error,
		Section: SecAPIM401, Check: "gateway-claims",
		Fix: []string{"iss must be {{.AuthorityHost}}/{{.Tenant}}/v2.0: get the token from tenant {{.Tenant}}, or fix --tenant."},
	},
	{
		ID: "token-wrong-audience", Title: "The token is not for the Gateway app (aud)", Severity: report.Error,
		Section: SecAPIM401, Check: "gateway-claims",
		Fix:      []string{"aud must be the APIM Gateway app's client id, {{.GatewayAppID}}: request the scope api://{{.GatewayAppID}}/Mcp.Gateway.Access, not the MCP API's or another resource's."},
		Commands: []string{"az account get-access-token --resource api://{{.GatewayAppID}} --query accessToken -o tsv"},
	},
	{
		ID: "token-missing-scope", Title: "The token lacks the scope Mcp.Gateway.Access (scp)", Severity: report.Error,
		Section: SecAPIM401, Check: "gateway-claims",
		Fix: []string{
			"scp must contain Mcp.Gateway.Access: the Gateway app must expose that scope (Part 2 Step 2) and the client must request it (api://{{.GatewayAppID}}/Mcp.Gateway.Access or api://{{.GatewayAppID}}/.default).",
		},
		Commands: []string{
			"az ad app show --id {{.GatewayAppID}} --query \"api.oauth2PermissionScopes[].{value:value, enabled:isEnabled}\"",
			"az login --tenant {{.Tenant}} --scope api://{{.GatewayAppID}}/.default",
		},
	},
	{
		ID: "token-wrong-tenant", Title: "The token was issued by another tenant (tid)", Severity: report.Error,
		Section: SecAPIM401, Check: "gateway-claims",
		Fix: []string{"tid must be {{.Tenant}}: sign in to that tenant (az login --tenant {{.Tenant}}), or fix --tenant."},
	},
	{
		ID: "token-no-oid", Title: "The token carries no oid: no user for Context7 to resolve", Severity: report.Error,
		Section: SecAPIM401, Check: "gateway-claims",
		Fix: []string{"Context7 resolves the user by oid: the token must come from a user's sign-in, not an app's."},
	},
	{
		ID: "token-expired", Title: "The token has expired (exp)", Severity: report.Error,
		Section: SecAPIM401, Check: "gateway-claims",
		Fix:      []string{"Get a new token: tokens live about an hour. With --token-file or C7DOCTOR_TOKEN, mint it just before the run; c7doctor's own sign-in refreshes by itself."},
		Commands: []string{"az account get-access-token --resource api://{{.GatewayAppID}} --query accessToken -o tsv"},
	},
	{
		ID: "token-expiring", Title: "The token expires within minutes", Severity: report.Warning,
		Section: SecAPIM401, Check: "gateway-claims",
		Fix: []string{"Calls made after exp (plus APIM's clock skew) get 401: get a fresh token before a long run."},
	},
	{
		ID: "token-not-yet-valid", Title: "The token is not valid yet (nbf)", Severity: report.Error,
		Section: SecAPIM401, Check: "gateway-claims",
		Fix: []string{"nbf is more than five minutes ahead of this machine's clock: one of the clocks is wrong; synchronise this machine's time (NTP)."},
	},
}
