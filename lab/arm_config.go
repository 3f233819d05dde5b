package lab

import (
	"net/http"
	"strings"
)

// The instance's policies, products, policy fragments, diagnostics and
// loggers, as ARM (2024-05-01) shows them, from apimState.
func (a *armPlane) configRoutes() {
	for path, h := range map[string]http.HandlerFunc{
		"/policies":                                     a.policyList("global"),
		"/policies/{policy}":                            a.policyGet("global"),
		"/products":                                     a.products,
		"/products/{product}":                           a.productGet,
		"/products/{product}/apis":                      a.productAPIs,
		"/products/{product}/policies":                  a.policyList("product"),
		"/products/{product}/policies/{policy}":         a.policyGet("product"),
		"/apis/{api}/products":                          a.apiProducts,
		"/apis/{api}/policies":                          a.policyList("api"),
		"/apis/{api}/policies/{policy}":                 a.policyGet("api"),
		"/apis/{api}/operations/{op}/policies":          a.policyList("operation"),
		"/apis/{api}/operations/{op}/policies/{policy}": a.policyGet("operation"),
		"/policyFragments":                              a.fragments,
		"/policyFragments/{fragment}":                   a.fragmentGet,
		"/diagnostics":                                  a.diagnostics,
		"/apis/{api}/diagnostics":                       a.diagnostics,
		"/loggers":                                      a.loggers,
	} {
		a.mux.HandleFunc("GET "+armService+path, a.instance(h))
	}
}

// policyFormat is the format query parameter: xml (the default) returns
// expressions XML-escaped, rawxml unescaped.
func policyFormat(r *http.Request) (string, bool) {
	switch f := r.URL.Query().Get("format"); f {
	case "", "xml":
		return "xml", true
	case "rawxml":
		return f, true
	}
	return "", false
}

// scopeOf finds the document a policy route names, answering ARM's 404
// for a parent that does not exist. ok false means answered.
func (a *armPlane) scopeOf(rw http.ResponseWriter, r *http.Request, s apimState, scope string) (doc labPolicyDoc, found, ok bool) {
	switch scope {
	case "product":
		if _, exists := s.product(r.PathValue("product")); !exists {
			armError(rw, http.StatusNotFound, "ResourceNotFound", "Product not found.")
			return doc, false, false
		}
		doc, found = s.policyDoc(scope, r.PathValue("product"), "")
	case "api", "operation":
		api := s.api(r.PathValue("api"))
		if api.id == "" {
			armError(rw, http.StatusNotFound, "ResourceNotFound", "Api not found.")
			return doc, false, false
		}
		if scope == "operation" && !api.hasOperationID(r.PathValue("op")) {
			armError(rw, http.StatusNotFound, "ResourceNotFound", "Operation not found.")
			return doc, false, false
		}
		doc, found = s.policyDoc(scope, api.id, r.PathValue("op"))
	default:
		doc, found = s.policyDoc(scope, "", "")
	}
	return doc, found, true
}

func (a *armPlane) policyList(scope string) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		doc, found, ok := a.scopeOf(rw, r, a.w.apim(), scope)
		if !ok {
			return
		}
		var out []any
		if found {
			out = append(out, a.policyResource(doc, "xml"))
		}
		a.page(rw, r, out)
	}
}

func (a *armPlane) policyGet(scope string) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		format, valid := policyFormat(r)
		if !valid {
			armError(rw, http.StatusBadRequest, "ValidationError", "Invalid value of format: '"+r.URL.Query().Get("format")+"'. Valid values are xml, xml-link, rawxml, rawxml-link.")
			return
		}
		doc, found, ok := a.scopeOf(rw, r, a.w.apim(), scope)
		if !ok {
			return
		}
		if !found || !strings.EqualFold(r.PathValue("policy"), "policy") {
			armError(rw, http.StatusNotFound, "ResourceNotFound", "Policy not found.")
			return
		}
		armJSON(rw, http.StatusOK, a.policyResource(doc, format))
	}
}

// policyResource is a PolicyContract (a PolicyFragmentContract for a fragment).
func (a *armPlane) policyResource(d labPolicyDoc, format string) map[string]any {
	value := d.xml
	if format == "rawxml" {
		value = rawXML(value)
	}
	props := map[string]any{"format": format, "value": value}
	id, typ, name := a.serviceID()+"/policies/policy", "Microsoft.ApiManagement/service/policies", "policy"
	switch d.scope {
	case "product":
		id, typ = a.serviceID()+"/products/"+d.product+"/policies/policy", "Microsoft.ApiManagement/service/products/policies"
	case "api":
		id, typ = a.serviceID()+"/apis/"+d.api+"/policies/policy", "Microsoft.ApiManagement/service/apis/policies"
	case "operation":
		id, typ = a.serviceID()+"/apis/"+d.api+"/operations/"+d.operation+"/policies/policy", "Microsoft.ApiManagement/service/apis/operations/policies"
	case "fragment":
		id, typ, name = a.serviceID()+"/policyFragments/"+d.fragment, "Microsoft.ApiManagement/service/policyFragments", d.fragment
		props["description"] = "Sets x-correlation-id on every request to a backend"
		props["provisioningState"] = "Succeeded"
	}
	return map[string]any{"id": id, "type": typ, "name": name, "properties": props}
}

func (a *armPlane) fragments(rw http.ResponseWriter, r *http.Request) {
	var out []any
	for _, d := range a.w.apim().policyDocs() {
		if d.scope == "fragment" {
			out = append(out, a.policyResource(d, "xml"))
		}
	}
	a.page(rw, r, out)
}

func (a *armPlane) fragmentGet(rw http.ResponseWriter, r *http.Request) {
	format, valid := policyFormat(r)
	if !valid {
		armError(rw, http.StatusBadRequest, "ValidationError", "Invalid value of format: '"+r.URL.Query().Get("format")+"'. Valid values are xml, rawxml.")
		return
	}
	d, ok := a.w.apim().policyDoc("fragment", r.PathValue("fragment"), "")
	if !ok {
		armError(rw, http.StatusNotFound, "ResourceNotFound", "PolicyFragment not found.")
		return
	}
	armJSON(rw, http.StatusOK, a.policyResource(d, format))
}

func (a *armPlane) productResource(p labProduct) map[string]any {
	props := map[string]any{
		"displayName": p.displayName, "description": p.description,
		"subscriptionRequired": p.subscriptionRequired, "state": "published",
	}
	if p.subscriptionRequired {
		props["approvalRequired"] = false
		props["subscriptionsLimit"] = 1
	}
	return map[string]any{
		"id": a.serviceID() + "/products/" + p.id, "type": "Microsoft.ApiManagement/service/products", "name": p.id,
		"properties": props,
	}
}

func (a *armPlane) products(rw http.ResponseWriter, r *http.Request) {
	var out []any
	for _, p := range a.w.apim().products {
		out = append(out, a.productResource(p))
	}
	a.page(rw, r, out)
}

func (a *armPlane) productGet(rw http.ResponseWriter, r *http.Request) {
	p, ok := a.w.apim().product(r.PathValue("product"))
	if !ok {
		armError(rw, http.StatusNotFound, "ResourceNotFound", "Product not found.")
		return
	}
	armJSON(rw, http.StatusOK, a.productResource(p))
}

func (a *armPlane) productAPIs(rw http.ResponseWriter, r *http.Request) {
	s := a.w.apim()
	p, ok := s.product(r.PathValue("product"))
	if !ok {
		armError(rw, http.StatusNotFound, "ResourceNotFound", "Product not found.")
		return
	}
	var out []any
	for _, id := range p.apis {
		if api := s.api(id); api.id != "" {
			out = append(out, a.apiResource(api))
		}
	}
	a.page(rw, r, out)
}

func (a *armPlane) apiProducts(rw http.ResponseWriter, r *http.Request) {
	s := a.w.apim()
	api := s.api(r.PathValue("api"))
	if api.id == "" {
		armError(rw, http.StatusNotFound, "ResourceNotFound", "Api not found.")
		return
	}
	var out []any
	for _, p := range s.products {
		for _, id := range p.apis {
			if id == api.id {
				out = append(out, a.productResource(p))
			}
		}
	}
	a.page(rw, r, out)
}

// diagnostics lists the service-level diagnostics, or an API's.
func (a *armPlane) diagnostics(rw http.ResponseWriter, r *http.Request) {
	s := a.w.apim()
	api := r.PathValue("api")
	base, typ := a.serviceID(), "Microsoft.ApiManagement/service/diagnostics"
	if api != "" {
		if s.api(api).id == "" {
			armError(rw, http.StatusNotFound, "ResourceNotFound", "Api not found.")
			return
		}
		api = s.api(api).id
		base, typ = base+"/apis/"+api, "Microsoft.ApiManagement/service/apis/diagnostics"
	}
	var out []any
	for _, d := range s.diagnostics {
		if d.api != api {
			continue
		}
		side := func(req, resp int) map[string]any {
			return map[string]any{
				"request":  map[string]any{"headers": []string{}, "body": map[string]any{"bytes": req}},
				"response": map[string]any{"headers": []string{}, "body": map[string]any{"bytes": resp}},
			}
		}
		out = append(out, map[string]any{
			"id": base + "/diagnostics/" + d.id, "type": typ, "name": d.id,
			"properties": map[string]any{
				"alwaysLog": "allErrors", "loggerId": a.serviceID() + "/loggers/" + d.logger,
				"sampling":    map[string]any{"samplingType": "fixed", "percentage": 100},
				"frontend":    side(d.frontendRequest, d.frontendResponse),
				"backend":     side(d.backendRequest, d.backendResponse),
				"logClientIp": true, "httpCorrelationProtocol": "W3C", "verbosity": "information",
				"operationNameFormat": "Name", "metrics": true,
			},
		})
	}
	a.page(rw, r, out)
}

func (a *armPlane) loggers(rw http.ResponseWriter, r *http.Request) {
	var out []any
	for _, l := range a.w.apim().loggers {
		out = append(out, map[string]any{
			"id": a.serviceID() + "/loggers/" + l.id, "type": "Microsoft.ApiManagement/service/loggers", "name": l.id,
			"properties": map[string]any{
				"loggerType": l.loggerType, "description": l.description, "isBuffered": true, "resourceId": l.resourceID,
				"credentials": map[string]string{"instrumentationKey": "{{Logger-Credentials--" + l.id + "}}"},
			},
		})
	}
	a.page(rw, r, out)
}
