package lab

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// armPlane is Azure Resource Manager for the lab's subscription: the APIM
// instance, its APIs, operations and named values, read from the same
// state as the gateway (apimState), behind bearer tokens the lab's tenant
// issues by client credentials for the ARM resource. Lists are paged
// (armPageSize entries a page, nextLink) as ARM pages them.
type armPlane struct {
	w   *World
	mux *http.ServeMux
}

// armAPIVersion is the API version the guide and armapimanagement/v3 use.
const armAPIVersion = "2024-05-01"

// armPageSize is small so that every list read pages.
const armPageSize = 2

const armService = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ApiManagement/service/{name}"

func newARMPlane(w *World) *armPlane {
	a := &armPlane{w: w, mux: http.NewServeMux()}
	a.mux.HandleFunc("GET /subscriptions", a.subscriptions)
	a.mux.HandleFunc("GET /subscriptions/{sub}/providers/Microsoft.ApiManagement/service", a.instance(a.listServices))
	a.mux.HandleFunc("GET "+armService, a.instance(a.service))
	a.mux.HandleFunc("GET "+armService+"/apis", a.instance(a.apis))
	a.mux.HandleFunc("GET "+armService+"/apis/{api}/operations", a.instance(a.operations))
	a.mux.HandleFunc("GET "+armService+"/namedValues", a.instance(a.namedValues))
	a.mux.HandleFunc("POST "+armService+"/namedValues/{nv}/listValue", a.instance(a.listValue))
	a.configRoutes()
	return a
}

func (a *armPlane) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	rec := &gwStatusRecorder{ResponseWriter: rw, status: http.StatusOK}
	defer func() { a.w.logf("arm       %s %s -> %d", r.Method, r.URL.Path, rec.status) }()
	// Every answer waits first, as a slow management plane does; the log
	// says so as the wait starts, so that a caller can tell "held" from "lost".
	if d := a.w.opts.ARMDelay; d > 0 {
		a.w.logf("arm       %s %s waits %s", r.Method, r.URL.Path, d)
	}
	if !rec.waitBeforeAnswer(r, a.w.opts.ARMDelay) {
		return
	}
	if oid, err := a.authenticate(r); err != nil {
		rec.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer authorization_uri="%s/%s", error="invalid_token", error_description="%s"`, a.w.AuthorityHost, a.w.TenantID, err))
		armError(rec, http.StatusUnauthorized, "InvalidAuthenticationToken", "The access token is invalid.")
		return
	} else {
		r.Header.Set("X-Lab-Caller", oid)
	}
	if r.URL.Query().Get("api-version") == "" {
		armError(rec, http.StatusBadRequest, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
		return
	}
	a.mux.ServeHTTP(rec, r)
}

// authenticate checks the bearer token as ARM does: signed by the tenant,
// issued for ARM, not expired. It returns the caller's object id.
func (a *armPlane) authenticate(r *http.Request) (string, error) {
	scheme, raw, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", fmt.Errorf("no bearer token")
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(strings.TrimSpace(raw), claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if key, ok := gwPublishedKeys(a.w)[kid]; ok {
			return key, nil
		}
		return nil, fmt.Errorf("unknown kid %q", kid)
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithExpirationRequired())
	if err != nil {
		return "", err
	}
	aud, _ := claims.GetAudience()
	if !slices.ContainsFunc(aud, func(s string) bool { return appOnlyResources[s] == armAppID }) {
		return "", fmt.Errorf("audience %v is not Azure Resource Manager", []string(aud))
	}
	if tid, _ := claims["tid"].(string); tid != a.w.TenantID {
		return "", fmt.Errorf("token from another tenant")
	}
	oid, _ := claims["oid"].(string)
	return oid, nil
}

// armError writes ARM's error envelope.
func armError(rw http.ResponseWriter, status int, code, message string) {
	armJSON(rw, status, map[string]any{"error": map[string]string{"code": code, "message": message}})
}

func armJSON(rw http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	rw.Header().Set("Content-Type", "application/json; charset=utf-8")
	rw.Header().Set("x-ms-request-id", newGUID())
	rw.WriteHeader(status)
	rw.Write(b)
}

func (a *armPlane) serviceID() string {
	return "/subscriptions/" + a.w.SubscriptionID + "/resourceGroups/" + a.w.ResourceGroup + "/providers/Microsoft.ApiManagement/service/" + a.w.APIMName
}

func (a *armPlane) subscriptions(rw http.ResponseWriter, r *http.Request) {
	armJSON(rw, http.StatusOK, map[string]any{"value": []map[string]any{{
		"id": "/subscriptions/" + a.w.SubscriptionID, "subscriptionId": a.w.SubscriptionID,
		"tenantId": a.w.TenantID, "displayName": "Contoso Lab", "state": "Enabled",
	}}})
}

// instance guards the routes under the subscription: the subscription,
// resource group and instance must exist, and the caller needs a role
// (arm-forbidden: none).
func (a *armPlane) instance(h http.HandlerFunc) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		sub := r.PathValue("sub")
		if !strings.EqualFold(sub, a.w.SubscriptionID) {
			armError(rw, http.StatusNotFound, "SubscriptionNotFound", fmt.Sprintf("The subscription '%s' could not be found.", sub))
			return
		}
		scope := "/subscriptions/" + sub
		if rg := r.PathValue("rg"); rg != "" {
			scope = a.serviceID()
			if !strings.EqualFold(rg, a.w.ResourceGroup) {
				armError(rw, http.StatusNotFound, "ResourceGroupNotFound", fmt.Sprintf("Resource group '%s' could not be found.", rg))
				return
			}
			if name := r.PathValue("name"); !strings.EqualFold(name, a.w.APIMName) {
				armError(rw, http.StatusNotFound, "ResourceNotFound", fmt.Sprintf("The Resource 'Microsoft.ApiManagement/service/%s' under resource group '%s' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix", name, rg))
				return
			}
		}
		if a.w.Has("arm-forbidden") {
			caller := r.Header.Get("X-Lab-Caller")
			action := "Microsoft.ApiManagement/service/read"
			if r.Method == http.MethodPost {
				action = "Microsoft.ApiManagement/service/namedValues/listValue/action"
			}
			armError(rw, http.StatusForbidden, "AuthorizationFailed", fmt.Sprintf("The client '%s' with object id '%s' does not have authorization to perform action '%s' over scope '%s' or the scope is invalid. If access was recently granted, please refresh your credentials.", caller, caller, action, scope))
			return
		}
		h(rw, r)
	}
}

func (a *armPlane) serviceResource(s apimState) map[string]any {
	host := strings.TrimPrefix(a.w.GatewayURL, "https://")
	props := map[string]any{
		"publisherEmail": "you@example.com", "publisherName": "Your Org",
		"provisioningState": "Succeeded", "targetProvisioningState": "",
		"createdAtUtc": "2026-01-12T09:30:00Z",
		"gatewayUrl":   a.w.GatewayURL,
		"hostnameConfigurations": []map[string]any{{
			"type": "Proxy", "hostName": host, "negotiateClientCertificate": false,
			"defaultSslBinding": true, "certificateSource": "BuiltIn",
		}},
		"platformVersion": "stv2", "publicNetworkAccess": "Enabled", "virtualNetworkType": "None",
	}
	if s.sku != "Consumption" {
		props["gatewayRegionalUrl"] = a.w.GatewayURL
	}
	return map[string]any{
		"id": a.serviceID(), "name": a.w.APIMName, "type": "Microsoft.ApiManagement/service",
		"location": "West Europe", "etag": "AAAAAAGl3vE=",
		"sku": map[string]any{"name": s.sku, "capacity": s.capacity},
		// The system-assigned identity the MCP policy's authentication-managed-identity uses.
		"identity":   map[string]any{"type": "SystemAssigned", "principalId": apimIdentityObjectID, "tenantId": a.w.TenantID},
		"properties": props,
	}
}

func (a *armPlane) listServices(rw http.ResponseWriter, r *http.Request) {
	a.page(rw, r, []any{a.serviceResource(a.w.apim())})
}

func (a *armPlane) service(rw http.ResponseWriter, r *http.Request) {
	armJSON(rw, http.StatusOK, a.serviceResource(a.w.apim()))
}

func (a *armPlane) apis(rw http.ResponseWriter, r *http.Request) {
	var out []any
	for _, api := range a.w.apim().apis {
		out = append(out, a.apiResource(api))
	}
	a.page(rw, r, out)
}

func (a *armPlane) apiResource(api labAPI) map[string]any {
	return map[string]any{
		"id": a.serviceID() + "/apis/" + api.id, "type": "Microsoft.ApiManagement/service/apis", "name": api.id,
		"properties": map[string]any{
			"displayName": api.displayName, "apiRevision": "1", "serviceUrl": api.serviceURL,
			"path": api.path, "protocols": []string{"https"}, "subscriptionRequired": api.subscriptionRequired,
			"subscriptionKeyParameterNames": map[string]string{"header": "Ocp-Apim-Subscription-Key", "query": "subscription-key"},
			"isCurrent":                     true,
		},
	}
}

func (a *armPlane) operations(rw http.ResponseWriter, r *http.Request) {
	api := a.w.apim().api(r.PathValue("api"))
	if api.id == "" {
		armError(rw, http.StatusNotFound, "ResourceNotFound", "Api not found.")
		return
	}
	var out []any
	for _, o := range api.operations {
		out = append(out, map[string]any{
			"id": a.serviceID() + "/apis/" + api.id + "/operations/" + o.id, "type": "Microsoft.ApiManagement/service/apis/operations", "name": o.id,
			"properties": map[string]any{
				"displayName": o.displayName, "method": o.method, "urlTemplate": o.urlTemplate,
				"templateParameters": []any{}, "responses": []any{}, "policies": nil,
			},
		})
	}
	a.page(rw, r, out)
}

func (a *armPlane) namedValues(rw http.ResponseWriter, r *http.Request) {
	var out []any
	for _, nv := range a.w.apim().namedValues {
		props := map[string]any{"displayName": nv.id, "tags": []string{}, "secret": nv.secret, "provisioningState": "Succeeded"}
		if !nv.secret {
			props["value"] = nv.value // ARM never lists a secret's value
		}
		if nv.keyVault {
			last := map[string]any{"code": nv.kvStatus, "timeStampUtc": nv.kvRefreshed.Format("2006-01-02T15:04:05Z")}
			if nv.kvMessage != "" {
				last["message"] = nv.kvMessage
			}
			props["keyVault"] = map[string]any{"secretIdentifier": keyVaultSecretURI, "identityClientId": nil, "lastStatus": last}
		}
		out = append(out, map[string]any{
			"id": a.serviceID() + "/namedValues/" + nv.id, "type": "Microsoft.ApiManagement/service/namedValues", "name": nv.id,
			"properties": props,
		})
	}
	a.page(rw, r, out)
}

func (a *armPlane) listValue(rw http.ResponseWriter, r *http.Request) {
	for _, nv := range a.w.apim().namedValues {
		if strings.EqualFold(nv.id, r.PathValue("nv")) {
			armJSON(rw, http.StatusOK, map[string]string{"value": nv.value})
			return
		}
	}
	armError(rw, http.StatusNotFound, "ResourceNotFound", "NamedValue not found.")
}

// page answers one page of a list, with a nextLink while more remain.
func (a *armPlane) page(rw http.ResponseWriter, r *http.Request, all []any) {
	skip, _ := strconv.Atoi(r.URL.Query().Get("$skip"))
	skip = max(0, min(skip, len(all)))
	end := min(skip+armPageSize, len(all))
	body := map[string]any{"value": append([]any{}, all[skip:end]...), "count": len(all)}
	if end < len(all) {
		q := url.Values{"api-version": {r.URL.Query().Get("api-version")}, "$skip": {strconv.Itoa(end)}}
		body["nextLink"] = a.w.ARMEndpoint + r.URL.Path + "?" + q.Encode()
	}
	armJSON(rw, http.StatusOK, body)
}
