package azure

import "time"

// Application is the part of a Graph application object (an app
// registration) that the guide's Part 2 sets.
type Application struct {
	ObjectID       string   `json:"id"`
	AppID          string   `json:"appId"`
	DisplayName    string   `json:"displayName"`
	SignInAudience string   `json:"signInAudience"`
	IdentifierURIs []string `json:"identifierUris"`
	API            struct {
		// RequestedAccessTokenVersion null or 1 means v1 tokens.
		RequestedAccessTokenVersion *int                       `json:"requestedAccessTokenVersion"`
		OAuth2PermissionScopes      []PermissionScope          `json:"oauth2PermissionScopes"`
		PreAuthorizedApplications   []PreAuthorizedApplication `json:"preAuthorizedApplications"`
	} `json:"api"`
	RequiredResourceAccess []RequiredResourceAccess `json:"requiredResourceAccess"`
	PasswordCredentials    []PasswordCredential     `json:"passwordCredentials"`
	PublicClient           struct {
		RedirectURIs []string `json:"redirectUris"`
	} `json:"publicClient"`
	Web struct {
		RedirectURIs []string `json:"redirectUris"`
	} `json:"web"`
	SPA struct {
		RedirectURIs []string `json:"redirectUris"`
	} `json:"spa"`
	IsFallbackPublicClient *bool `json:"isFallbackPublicClient"`
}

// TokenVersion is the access-token version the app's tokens carry: 1 when
// requestedAccessTokenVersion is null or 1.
func (a *Application) TokenVersion() int {
	if v := a.API.RequestedAccessTokenVersion; v != nil && *v == 2 {
		return 2
	}
	return 1
}

// Scope returns the exposed delegated scope with this value (case-insensitive as Entra matches it).
func (a *Application) Scope(value string) (PermissionScope, bool) {
	for _, s := range a.API.OAuth2PermissionScopes {
		if equalFold(s.Value, value) {
			return s, true
		}
	}
	return PermissionScope{}, false
}

// PreAuthorizes reports whether clientAppID is pre-authorized for the scope with this id.
func (a *Application) PreAuthorizes(clientAppID, scopeID string) bool {
	for _, p := range a.API.PreAuthorizedApplications {
		if !equalFold(p.AppID, clientAppID) {
			continue
		}
		for _, id := range p.DelegatedPermissionIDs {
			if equalFold(id, scopeID) {
				return true
			}
		}
	}
	return false
}

// Requires reports whether the app's API permissions hold the delegated
// scope scopeID of resourceAppID.
func (a *Application) Requires(resourceAppID, scopeID string) bool {
	for _, r := range a.RequiredResourceAccess {
		if !equalFold(r.ResourceAppID, resourceAppID) {
			continue
		}
		for _, ra := range r.ResourceAccess {
			if equalFold(ra.ID, scopeID) && equalFold(ra.Type, "Scope") {
				return true
			}
		}
	}
	return false
}

// PermissionScope is one entry of api.oauth2PermissionScopes.
type PermissionScope struct {
	ID        string `json:"id"`
	Value     string `json:"value"`
	IsEnabled bool   `json:"isEnabled"`
	Type      string `json:"type"` // "User" (admins and users) or "Admin"
}

// PreAuthorizedApplication is an "Authorized client application".
type PreAuthorizedApplication struct {
	AppID                  string   `json:"appId"`
	DelegatedPermissionIDs []string `json:"delegatedPermissionIds"`
}

// RequiredResourceAccess is one API of the app's API permissions.
type RequiredResourceAccess struct {
	ResourceAppID  string           `json:"resourceAppId"`
	ResourceAccess []ResourceAccess `json:"resourceAccess"`
}

// ResourceAccess is one permission: a scope ("Scope") or an app role ("Role").
type ResourceAccess struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// PasswordCredential is a client secret's metadata. Hint is the first three
// characters of the value: enough to tell secrets apart, never to be shown.
type PasswordCredential struct {
	KeyID         string     `json:"keyId"`
	DisplayName   string     `json:"displayName"`
	Hint          string     `json:"hint"`
	StartDateTime *time.Time `json:"startDateTime"`
	EndDateTime   *time.Time `json:"endDateTime"`
}

// ServicePrincipal is an app's instance in the tenant.
type ServicePrincipal struct {
	ID                        string `json:"id"`
	AppID                     string `json:"appId"`
	DisplayName               string `json:"displayName"`
	AppRoleAssignmentRequired bool   `json:"appRoleAssignmentRequired"`
	AccountEnabled            *bool  `json:"accountEnabled"`
}

// PermissionGrant is a delegated permission grant (consent): AllPrincipals
// is admin consent for everyone.
type PermissionGrant struct {
	ID          string `json:"id"`
	ClientID    string `json:"clientId"`   // the client's service principal id
	ResourceID  string `json:"resourceId"` // the resource's service principal id
	ConsentType string `json:"consentType"`
	PrincipalID string `json:"principalId"`
	Scope       string `json:"scope"` // space-separated scope values
}

// AppRoleAssignment is a principal assigned to a service principal.
type AppRoleAssignment struct {
	PrincipalID   string `json:"principalId"`
	PrincipalType string `json:"principalType"` // User, Group, ServicePrincipal
}

// FederatedCredential is a federated identity credential of an application:
// Entra accepts, as the app's client credential, a token of Issuer for
// Subject whose audience is among Audiences.
type FederatedCredential struct {
	Name      string   `json:"name"`
	Issuer    string   `json:"issuer"`
	Subject   string   `json:"subject"`
	Audiences []string `json:"audiences"`
}

// Apps is what Graph says about the guide's two app registrations. A nil
// application or service principal was not found (404); what could not be
// read is in Errors, keyed by the read's name (see Reads).
type Apps struct {
	Gateway, MCPAPI     *Application
	GatewaySP, MCPAPISP *ServicePrincipal
	// GatewayFederated are the Gateway app's federated identity credentials.
	GatewayFederated []FederatedCredential
	// Grants are the delegated grants the gateway's service principal holds.
	Grants []PermissionGrant
	// Assigned are the principals assigned to each service principal that
	// requires assignment, keyed by service principal id.
	Assigned map[string][]AppRoleAssignment
	// UserGroups are the groups the user is a member of, directly or not;
	// read only when a service principal requires assignment.
	UserGroups []string
	UserOID    string
	Errors     map[string]*GraphError
	// RoundTrips counts the HTTP requests made to Graph (token requests excluded).
	RoundTrips int
}

// Names of the reads, as Apps.Errors keys them.
const (
	ReadGatewayApp       = "gateway app"
	ReadMCPAPIApp        = "MCP API app"
	ReadGatewaySP        = "gateway service principal"
	ReadMCPAPISP         = "MCP API service principal"
	ReadGatewayFederated = "gateway app federated credentials"
	ReadGrants           = "permission grants"
	ReadAssignments      = "app role assignments"
	ReadUserGroups       = "user's groups"
	readAssignPrefix     = ReadAssignments + " of "
)

// AdminConsent returns the AllPrincipals grant from the gateway's service
// principal to the MCP API's, if any.
func (a *Apps) AdminConsent() (PermissionGrant, bool) {
	if a.GatewaySP == nil || a.MCPAPISP == nil {
		return PermissionGrant{}, false
	}
	for _, g := range a.Grants {
		if equalFold(g.ClientID, a.GatewaySP.ID) && equalFold(g.ResourceID, a.MCPAPISP.ID) && g.ConsentType == "AllPrincipals" {
			return g, true
		}
	}
	return PermissionGrant{}, false
}

// UserAssigned reports whether the user is assigned to the service
// principal, directly or through a group; known is false when the
// assignments (or the groups) could not be read.
func (a *Apps) UserAssigned(sp *ServicePrincipal) (assigned, known bool) {
	list, ok := a.Assigned[sp.ID]
	if !ok || a.UserOID == "" {
		return false, false
	}
	groups := map[string]bool{}
	for _, g := range a.UserGroups {
		groups[lower(g)] = true
	}
	for _, as := range list {
		if equalFold(as.PrincipalID, a.UserOID) || groups[lower(as.PrincipalID)] {
			return true, true
		}
	}
	_, groupsFailed := a.Errors[ReadUserGroups]
	return false, !groupsFailed
}

// Forbidden reports whether Graph refused the reads for lack of permission.
func (a *Apps) Forbidden() bool {
	for _, e := range a.Errors {
		if e.Forbidden() {
			return true
		}
	}
	return false
}
