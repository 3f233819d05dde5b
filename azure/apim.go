package azure

import (
	"crypto/subtle"
	"fmt"
	"strings"
	"time"

	"github.com/c7doctor/c7doctor/wire"
)

// Target names one APIM instance.
type Target struct {
	Subscription, ResourceGroup, Service string
}

// ID is the instance's ARM resource id, the scope a role is granted on.
func (t Target) ID() string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.ApiManagement/service/%s", t.Subscription, t.ResourceGroup, t.Service)
}

// gatewayHost is the default host of an APIM gateway: <name>.azure-api.net
// (and the sovereign clouds' equivalents).
var gatewayHost = wire.NewLazyRegexp(`(?i)^([a-z][a-z0-9-]{0,48}[a-z0-9])\.azure-api\.(net|us|cn)$`)

// ServiceNameFromHost is the APIM instance's name when host is its default
// gateway host, "" otherwise (a custom domain says nothing).
func ServiceNameFromHost(host string) string {
	if m := gatewayHost.Regexp().FindStringSubmatch(host); m != nil {
		return strings.ToLower(m[1])
	}
	return ""
}

// APIM is what ARM shows of one instance. Each part carries its own read
// error: an instance whose named values cannot be listed still shows its APIs.
type APIM struct {
	Target Target
	// Inferred lists the parts of Target ARM revealed: "subscription"
	// (the credential's only one), "resource_group" (found by listing).
	Inferred []string

	Service Service

	APIs    []API
	APIsErr error

	NamedValues    []NamedValue
	NamedValuesErr error
	// SecretsRead is set when secret values were asked for (--read-secrets).
	SecretsRead bool

	// Policies and Diagnostics of the guide's APIs (each read carries its
	// own errors).
	Policies    Policies
	Diagnostics Diagnostics
}

// Service is the instance itself.
type Service struct {
	Name              string
	Location          string
	SKU               string // Developer, Basic, BasicV2, Standard, StandardV2, Premium, Consumption …
	Capacity          int32
	ProvisioningState string
	GatewayURL        string
	// RegionalGatewayURLs are the primary region's and each additional location's.
	RegionalGatewayURLs []string
	// ProxyHostNames are custom domains of the gateway (hostname type Proxy).
	ProxyHostNames []string
	// Identity is the instance's managed identity; its zero value: none.
	Identity ServiceIdentity
}

// ServiceIdentity is an instance's managed identity as ARM shows it.
type ServiceIdentity struct {
	Type        string // SystemAssigned, UserAssigned, "SystemAssigned, UserAssigned" or None
	PrincipalID string // the system-assigned identity's object id
	TenantID    string
}

// SystemAssigned reports whether the system-assigned identity is on.
func (i ServiceIdentity) SystemAssigned() bool {
	return strings.Contains(strings.ToLower(i.Type), "systemassigned") && i.PrincipalID != ""
}

// API is one API of the instance, with its operations.
type API struct {
	Name                 string // the API id, e.g. context7-mcp
	DisplayName          string
	Path                 string // "" for the host root
	ServiceURL           string
	Protocols            []string
	SubscriptionRequired bool
	IsCurrent            bool
	Operations           []Operation
	OperationsErr        error
}

// Operation is one operation of an API.
type Operation struct {
	Name        string // the operation id, e.g. post-mcp
	Method      string
	URLTemplate string
}

// FindAPI returns the API with the given path (case-insensitive, slashes trimmed).
func (a *APIM) FindAPI(path string) (API, bool) {
	want := strings.Trim(path, "/")
	for _, api := range a.APIs {
		if strings.EqualFold(strings.Trim(api.Path, "/"), want) && (api.IsCurrent || len(a.APIs) == 1) {
			return api, true
		}
	}
	return API{}, false
}

// FindNamedValue returns the named value with the given id or display name.
func (a *APIM) FindNamedValue(name string) (NamedValue, bool) {
	for _, nv := range a.NamedValues {
		if strings.EqualFold(nv.Name, name) || strings.EqualFold(nv.DisplayName, name) {
			return nv, true
		}
	}
	return NamedValue{}, false
}

// NamedValue is one named value. A secret's value is never part of the
// snapshot's visible fields: with --read-secrets it is held sealed and can
// only be compared.
type NamedValue struct {
	Name        string // the named value id
	DisplayName string
	Secret      bool
	Value       string // plain values only; "" for secrets
	KeyVault    *KeyVault

	sealed    *sealed // nil unless read; a pointer, so %v never shows it
	SecretErr error   // listValue failed
}

// KeyVault is a named value backed by a Key Vault secret.
type KeyVault struct {
	SecretID string
	// LastStatus is APIM's last refresh of the secret: Code "Success" or an
	// error code, with its message and time.
	LastCode    string
	LastMessage string
	LastRefresh time.Time
}

// RefreshFailed reports a last refresh that did not succeed.
func (k *KeyVault) RefreshFailed() bool {
	return k != nil && k.LastCode != "" && !strings.EqualFold(k.LastCode, "Success")
}

type sealed struct{ v string }

// SecretRead reports whether the secret value was read.
func (n NamedValue) SecretRead() bool { return n.sealed != nil }

// SecretEquals compares the secret value with s in constant time.
func (n NamedValue) SecretEquals(s string) bool {
	return n.sealed != nil && s != "" && subtle.ConstantTimeCompare([]byte(n.sealed.v), []byte(s)) == 1
}

// SecretHasHint reports whether the secret value starts with hint, Graph's
// first characters of a client secret: how the secret APIM holds is told
// apart from the app's others without the value leaving the process.
func (n NamedValue) SecretHasHint(hint string) bool {
	if n.sealed == nil || hint == "" || len(n.sealed.v) < len(hint) {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(n.sealed.v[:len(hint)]), []byte(hint)) == 1
}

var guidShape = wire.NewLazyRegexp(`^\s*[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\s*$`)

// SecretIsGUID reports a secret shaped like a GUID: the portal's "Secret
// ID" pasted where the secret's Value belongs.
func (n NamedValue) SecretIsGUID() bool {
	return n.sealed != nil && guidShape.Regexp().MatchString(n.sealed.v)
}

// SecretEmpty reports a secret read as empty.
func (n NamedValue) SecretEmpty() bool { return n.sealed != nil && strings.TrimSpace(n.sealed.v) == "" }
