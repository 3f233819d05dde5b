package checks

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/c7doctor/c7doctor/azure"
	"github.com/c7doctor/c7doctor/wire"
)

// proxyOperations are the OAuth proxy API's operations (Part 5 Step 1).
var proxyOperations = []azure.Operation{
	{Method: "GET", URLTemplate: "/.well-known/oauth-protected-resource"},
	{Method: "GET", URLTemplate: "/.well-known/oauth-authorization-server"},
	{Method: "GET", URLTemplate: "/authorize"},
	{Method: "POST", URLTemplate: "/token"},
}

// runAPIMAPIs judges the two APIs the guide creates: the MCP API (Part 3
// Step 2) and the OAuth proxy API at the host root (Part 5 Step 1).
func runAPIMAPIs(ctx context.Context, env *Env, r *Result) {
	snap := apimSnapshot(ctx, env, r, false)
	if snap == nil {
		return
	}
	if snap.APIsErr != nil {
		partial(r, "the APIs", snap.APIsErr)
		if len(snap.APIs) == 0 {
			r.Skip("the APIs could not be read")
			return
		}
	}
	var names []string
	for _, a := range snap.APIs {
		names = append(names, fmt.Sprintf("%s (/%s)", a.Name, a.Path))
	}
	r.Evidence("apis", strings.Join(names, ", "))
	judgeMCPAPI(env, r, snap)
	judgeProxyAPI(env, r, snap)
	if !r.Failed() {
		r.Summary("MCP API at /%s and OAuth proxy API at the root as the guide sets them", strings.Trim(env.Config.APIPath, "/"))
	}
}

func judgeMCPAPI(env *Env, r *Result, snap *azure.APIM) {
	api, ok := snap.FindAPI(env.Config.APIPath)
	if !ok {
		r.Findf("apim-mcp-api-missing", "No API has the path %q; the instance has %d APIs.", env.Config.APIPath, len(snap.APIs))
		return
	}
	r.Evidence("mcp_api", fmt.Sprintf("%s: service URL %s, protocols %s, subscription required %t", api.Name, api.ServiceURL, strings.Join(api.Protocols, ","), api.SubscriptionRequired))
	if want := wire.Origin(env.Config.Upstream); want != "" {
		u, err := url.Parse(api.ServiceURL)
		switch {
		case err != nil || u.Host == "":
			r.Findf("apim-mcp-service-url", "The service URL of %s is %q, not an absolute URL; --upstream is %s.", api.Name, api.ServiceURL, env.Config.Upstream)
		case !wire.SameOrigin(u, want):
			r.Findf("apim-mcp-service-url", "The service URL of %s is %s; --upstream's origin is %s.", api.Name, api.ServiceURL, want)
		case strings.Trim(u.Path, "/") != "":
			r.Findf("apim-mcp-service-url", "The service URL of %s is %s: with its path, the policy's rewrite-uri sends requests to %s/mcp/oauth.", api.Name, api.ServiceURL, strings.TrimRight(api.ServiceURL, "/"))
		}
	}
	if slices.ContainsFunc(api.Protocols, func(p string) bool { return strings.EqualFold(p, "http") }) {
		r.Findf("apim-mcp-http-allowed", "%s accepts %s.", api.Name, strings.Join(api.Protocols, " and "))
	}
	if api.SubscriptionRequired {
		r.Findf("apim-mcp-subscription-required", "%s has subscriptionRequired true: APIM refuses requests without Ocp-Apim-Subscription-Key before the token is looked at.", api.Name)
	}
	if api.OperationsErr != nil {
		partial(r, "the operations of "+api.Name, api.OperationsErr)
	} else if !hasOperation(api, "POST", "/mcp") {
		r.Findf("apim-mcp-operation-missing", "%s has %s.", api.Name, describeOperations(api.Operations))
	}
}

func judgeProxyAPI(env *Env, r *Result, snap *azure.APIM) {
	api, ok := snap.FindAPI("")
	if !ok {
		r.Find("apim-proxy-api-missing", "No API has the empty path: nothing serves /.well-known/…, /authorize or /token at the gateway's root.")
		return
	}
	r.Evidence("oauth_proxy_api", fmt.Sprintf("%s: service URL %s, subscription required %t", api.Name, api.ServiceURL, api.SubscriptionRequired))
	judgeProxyServiceURL(env, r, api)
	if api.SubscriptionRequired {
		r.Findf("apim-proxy-subscription-required", "%s has subscriptionRequired true: MCP clients cannot fetch the metadata or a token through it.", api.Name)
	}
	if api.OperationsErr != nil {
		partial(r, "the operations of "+api.Name, api.OperationsErr)
		return
	}
	var missing []string
	for _, o := range proxyOperations {
		if !hasOperation(api, o.Method, o.URLTemplate) {
			missing = append(missing, o.Method+" "+o.URLTemplate)
		}
	}
	if len(missing) > 0 {
		r.Findf("apim-proxy-operation-missing", "%s lacks %s (it has %s).", api.Name, strings.Join(missing, ", "), describeOperations(api.Operations))
	}
}

// judgeProxyServiceURL compares the proxy's service URL with this tenant's
// v2 endpoint at the run's authority host.
func judgeProxyServiceURL(env *Env, r *Result, api azure.API) {
	authority := strings.TrimRight(env.Config.AuthorityHost, "/")
	u, err := url.Parse(api.ServiceURL)
	if err != nil || u.Host == "" || !wire.SameOrigin(u, authority) {
		r.Findf("apim-proxy-service-url", "The service URL of %s is %q; the authority host is %s.", api.Name, api.ServiceURL, authority)
		return
	}
	tenant, rest, _ := strings.Cut(strings.Trim(u.Path, "/"), "/")
	if !strings.EqualFold(rest, "oauth2/v2.0") {
		r.Findf("apim-proxy-service-url", "The service URL of %s is %s: its path after the tenant is /%s, not /oauth2/v2.0.", api.Name, api.ServiceURL, rest)
		return
	}
	known := []string{env.Config.Tenant, env.State.TenantGUID}
	if slices.ContainsFunc(known, func(t string) bool { return t != "" && strings.EqualFold(t, tenant) }) || (env.Config.Tenant == "" && env.State.TenantGUID == "") {
		return
	}
	r.Findf("apim-proxy-wrong-tenant", "The service URL of %s names tenant %s; this run's tenant is %s, so /token goes to another directory.", api.Name, tenant, cmp.Or(env.State.TenantGUID, env.Config.Tenant))
}

func hasOperation(api azure.API, method, path string) bool {
	return slices.ContainsFunc(api.Operations, func(o azure.Operation) bool {
		return strings.EqualFold(o.Method, method) && strings.TrimRight(o.URLTemplate, "/") == strings.TrimRight(path, "/")
	})
}

func describeOperations(ops []azure.Operation) string {
	if len(ops) == 0 {
		return "no operations"
	}
	var out []string
	for _, o := range ops {
		out = append(out, o.Method+" "+o.URLTemplate)
	}
	return strings.Join(out, ", ")
}
