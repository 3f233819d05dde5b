package lab

import (
	"fmt"
	"net/http"
	"time"
)

// entraError is an error answer of the token and device-code endpoints, in
// the exact JSON shape Entra sends (reference/entra/error-*.json): the
// description carries the AADSTS code, then the trace id, correlation id and
// timestamp on their own \r\n-separated lines.
type entraError struct {
	status   int
	code     string // the OAuth "error" value
	aadsts   int
	text     string // the message after "AADSTSnnnn: "
	suberror string // consent_required, basic_action… where Entra sends one
	claims   string // conditional-access claims challenge (MFA)
}

func (e *entraError) Error() string {
	return fmt.Sprintf("%s: AADSTS%d: %s", e.code, e.aadsts, e.text)
}

// entraErrorBody is the wire form; the field order is Entra's.
type entraErrorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	Timestamp        string `json:"timestamp"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
	ErrorURI         string `json:"error_uri"`
	Suberror         string `json:"suberror,omitempty"`
	Claims           string `json:"claims,omitempty"`
}

// entraTimestamp is Entra's "2023-01-27 00:50:05Z" layout.
const entraTimestamp = "2006-01-02 15:04:05Z"

func (e *entraError) body(authorityHost, traceID, correlationID string, now time.Time) entraErrorBody {
	ts := now.UTC().Format(entraTimestamp)
	return entraErrorBody{
		Error: e.code,
		ErrorDescription: fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s",
			e.aadsts, e.text, traceID, correlationID, ts),
		ErrorCodes:    []int{e.aadsts},
		Timestamp:     ts,
		TraceID:       traceID,
		CorrelationID: correlationID,
		ErrorURI:      fmt.Sprintf("%s/error?code=%d", authorityHost, e.aadsts),
		Suberror:      e.suberror,
		Claims:        e.claims,
	}
}

func badRequest(code string, aadsts int, format string, args ...any) *entraError {
	return &entraError{status: http.StatusBadRequest, code: code, aadsts: aadsts, text: fmt.Sprintf(format, args...)}
}

// The texts below are the ones Entra sends, as recorded in public bug
// reports and in reference/entra/. Where a record quotes no text (declined
// device code) the text follows the device-flow documentation.

func errMissingParameter(name string) *entraError {
	return badRequest("invalid_request", 900144, "The request body must contain the following parameter: '%s'.", name)
}

func errTenantNotFound(tenant string) *entraError {
	return badRequest("invalid_tenant", 90002, "Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", tenant)
}

func errUnknownClient(clientID string) *entraError {
	return badRequest("unauthorized_client", 700016, "Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", clientID, tenantDisplayName)
}

func errUnsupportedGrant(grant string) *entraError {
	return badRequest("unsupported_grant_type", 70003, "The app requested an unsupported grant type '%s'.", grant)
}

func errAuthorizationPending() *entraError {
	return badRequest("authorization_pending", 70016, "OAuth 2.0 device flow error. Authorization is pending. Continue polling.")
}

func errDeviceCodeExpired() *entraError {
	return badRequest("expired_token", 70020, "The provided value for the input parameter 'device_code' is not valid. This device code has expired.")
}

func errAuthorizationDeclined() *entraError {
	return badRequest("authorization_declined", 70000, "The end user denied the authorization request.")
}

func errMalformedGrant() *entraError {
	return badRequest("invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
}

func errInvalidGrant() *entraError {
	return badRequest("invalid_grant", 70000, "Provided grant is invalid or malformed.")
}

func errInvalidCode() *entraError {
	return badRequest("invalid_grant", 70000, "The provided value for the 'code' parameter is not valid.")
}

func errCodeRedeemed() *entraError {
	return badRequest("invalid_grant", 54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.")
}

func errCodeVerifier() *entraError {
	return badRequest("invalid_grant", 501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request.")
}

func errRedirectMismatch(redirectURI, clientID string) *entraError {
	return badRequest("invalid_grant", 50011, "The redirect URI '%s' specified in the request does not match the redirect URIs configured for the application '%s'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.", redirectURI, clientID)
}

// errResourceParameter is Entra v2's answer since early 2026 to an RFC 8707
// resource that is not the identifier URI of the app whose scopes are asked.
func errResourceParameter() *entraError {
	return badRequest("invalid_target", 9010010, "The resource parameter provided in the request doesn't match with the requested scopes.")
}

func errClientNotAuthorized(clientID, clientName, resourceURI, resourceID string) *entraError {
	return badRequest("invalid_client", 65005, "Invalid resource. The client has requested access to a resource which is not listed in the requested permissions in the client's application registration. Client app ID: %s(%s). Resource value from request: %s. Resource app ID: %s. List of valid resources from app registration: 00000003-0000-0000-c000-000000000000.", clientID, clientName, resourceURI, resourceID)
}

func errScopeMissing() *entraError {
	return badRequest("invalid_scope", 70011, "The provided request must include a 'scope' input parameter.")
}

func errScopeInvalid(scope string) *entraError {
	return badRequest("invalid_scope", 70011, "The provided value for the input parameter 'scope' is not valid. The scope %s is not valid.", scope)
}

func errScopeManyResources(scope string) *entraError {
	return badRequest("invalid_scope", 28000, "Provided value for the input parameter scope is not valid because it contains more than one resource. Scope %s is not valid.", scope)
}

func errResourceNotFound(resource string) *entraError {
	return badRequest("invalid_resource", 500011, "The resource principal named %s was not found in the tenant named %s. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.", resource, tenantDisplayName)
}

func errInvalidClientSecret() *entraError {
	return &entraError{status: http.StatusUnauthorized, code: "invalid_client", aadsts: 7000215, text: "Invalid client secret is provided."}
}

func errSecretExpired(appID string) *entraError {
	return &entraError{status: http.StatusUnauthorized, code: "invalid_client", aadsts: 7000222, text: fmt.Sprintf("The provided client secret keys for app '%s' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.", appID)}
}

func errClientSecretMissing() *entraError {
	return &entraError{status: http.StatusUnauthorized, code: "invalid_client", aadsts: 7000218, text: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."}
}

func errPublicClientSecret() *entraError {
	return &entraError{status: http.StatusUnauthorized, code: "invalid_client", aadsts: 700025, text: "Client is public so neither 'client_assertion' nor 'client_secret' should be presented."}
}

func errAssertionMalformed() *entraError {
	return badRequest("invalid_request", 50027, "JWT token is invalid or malformed.")
}

func errAssertionKeyNotFound(thumbprint string) *entraError {
	return badRequest("invalid_grant", 50013, "Assertion failed signature validation. [Reason - The key was not found., Thumbprint of key used by client: '%s']", thumbprint)
}

func errAssertionBadSignature(thumbprint string, notBefore, notAfter time.Time) *entraError {
	return badRequest("invalid_grant", 50013, "Assertion failed signature validation. [Reason - The provided signature value did not match the expected signature value., Thumbprint of key used by client: '%s', Found key 'Start=%s, End=%s']",
		thumbprint, notBefore.UTC().Format("01/02/2006 15:04:05"), notAfter.UTC().Format("01/02/2006 15:04:05"))
}

func errAssertionIssuer(issuer string) *entraError {
	return badRequest("invalid_grant", 50013, "Assertion contains an invalid issuer. [Reason - The issuer '%s' is not a valid issuer for this tenant.]", issuer)
}

// errAssertionAudience is AADSTS500131, the code Entra now sends for an
// assertion whose audience is not the app presenting it (older records show
// it as a 50013 text; both mean the assertion was refused).
func errAssertionAudience(audience, expected, appName string) *entraError {
	return badRequest("invalid_grant", 500131, "Assertion audience does not match the Client app presenting the assertion. The audience in the assertion was '%s' and the expected audience is '%s' or one of the Application Uris of this application with App ID '%s'(%s). The downstream client must request a token for the expected audience (the application that made the OBO request) and this application should use that token as the assertion.", audience, expected, expected, appName)
}

func errAssertionExpired(now, expiry time.Time) *entraError {
	return badRequest("invalid_grant", 500133, "Assertion is not within its valid time range. Ensure that the access token is not expired before using it for user assertion, or request a new token. Current time: %s, expiry time of assertion %s.",
		now.UTC().Format("2006-01-02T15:04:05.0000000Z"), expiry.UTC().Format("2006-01-02T15:04:05.0000000Z"))
}

func errConsentRequired(appID, appName string) *entraError {
	e := badRequest("invalid_grant", 65001, "The user or administrator has not consented to use the application with ID '%s' named '%s'. Send an interactive authorization request for this user and resource.", appID, appName)
	e.suberror = "consent_required"
	return e
}

// errMFARequired is what a conditional-access policy demanding MFA answers an
// OBO exchange whose assertion carries no MFA claim: the client must go back
// to the user with the claims challenge.
func errMFARequired(resource, policyID string) *entraError {
	e := badRequest("interaction_required", 50076, "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '%s'.", resource)
	e.suberror = "basic_action"
	e.claims = fmt.Sprintf(`{"access_token":{"capolids":{"essential":true,"values":["%s"]}}}`, policyID)
	return e
}

var guidPattern = lazyRegexp(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func isGUID(s string) bool { return guidPattern().MatchString(s) }
