package lab

import (
	"embed"
	"fmt"
	"strings"
	"sync"
	"text/template"
)

// The instance's policy documents, the lab's own copy: c7doctor's
// recommended ones (policies/recommended) and the guide's verbatim
// (policies/guide), stored as ARM returns them with format=xml
// (expressions XML-escaped) and templated with the world's host and ids
// where the guide has placeholders. {{named-value}} references stay as
// the guide writes them; the templates use [[ ]].
//
//go:embed policies
var policyFiles embed.FS

// policyTemplates parses every embedded document on first use, by path
// under policies/.
var policyTemplates = sync.OnceValue(func() map[string]*template.Template {
	out := map[string]*template.Template{}
	for _, p := range []string{
		"global.xml", "correlation-id.xml", "product.xml",
		"recommended/context7-mcp.xml", "recommended/prm-metadata.xml", "recommended/as-metadata.xml",
		"recommended/authorize.xml", "recommended/token.xml",
		"guide/context7-mcp.xml", "guide/prm-metadata.xml", "guide/as-metadata.xml", "guide/authorize.xml",
	} {
		b, err := policyFiles.ReadFile("policies/" + p)
		if err != nil {
			panic("lab: embedded policy " + p + ": " + err.Error())
		}
		out[p] = template.Must(template.New(p).Delims("[[", "]]").Option("missingkey=error").Parse(string(b)))
	}
	return out
})

// apimPolicies is what the instance's policies say, in the terms the
// gateway acts on. The documents ARM shows are rendered from it
// (documents), so the gateway and the management plane cannot disagree.
type apimPolicies struct {
	// guideMCP: the MCP API runs the guide's policy: the client secret in a
	// variable, and the OBO answer used without looking at its status (a
	// refused exchange goes on as an empty "Bearer "). Otherwise c7doctor's:
	// APIM's managed identity as client assertion, and a 502 when the
	// exchange is refused.
	guideMCP bool
	// guideProxy: the OAuth proxy's operations run the guide's policies
	// (no <base />, no /token policy).
	guideProxy bool
	// mcpPolicy: the MCP API has a policy of its own; without one APIM runs
	// only the enclosing scopes' and forwards the request as it is.
	mcpPolicy bool
	rewrite   bool   // <rewrite-uri template="/mcp/oauth" />
	challenge bool   // on-error: WWW-Authenticate with resource_metadata on 401
	oboScope  string // what the OBO request's scope appends to api://<mcp-api-app-id>
	// prmBody and asBody are the return-response bodies of prm-metadata and
	// as-metadata, as the gateway sends them.
	prmBody, asBody string
	// forwardsQuery: /authorize appends the whole query string, RFC 8707's
	// resource included; otherwise every parameter but resource.
	forwardsQuery bool
	// tokenDropsResource: the /token operation's policy drops resource from
	// the form; without it (the guide) APIM forwards the body as is.
	tokenDropsResource bool
	// correlationID: the global policy includes the correlation-id fragment.
	correlationID bool

	// Where the documents point: the gateway's origin and the authority host.
	gateway, authority, tenantID string
}

// Policy scopes and ids of the lab's instance.
const (
	productMCP          = "context7-users"
	fragmentCorrelation = "correlation-id"
	// gatewayOBOFailedBody is what c7doctor's MCP policy answers (502) when
	// the OBO exchange is refused.
	gatewayOBOFailedBody = `{"error": "obo_failed", "error_description": "The gateway could not exchange the caller's token."}`
)

// oboViaGuideFaults are the faults of a gateway whose MCP API runs the
// guide's OBO block: the ones about the client secret APIM sends, and the
// ones where Entra refuses APIM's exchange and Context7 then sees an empty
// bearer token (the guide's policy does not look at the status).
var oboViaGuideFaults = []string{
	"obo-no-consent", "obo-invalid-assertion", "obo-invalid-scope", "obo-bad-secret", "mfa-required",
	"mcp-api-no-service-principal", "no-admin-consent", "secret-expired", "secret-expiring",
	"secret-unused-newer", "named-value-secret-id", "keyvault-refresh-failed",
}

// policies derives the policy facts from the world's faults.
func (w *World) policies() apimPolicies {
	p := apimPolicies{
		guideProxy:         w.Has("guide-as-written"),
		guideMCP:           w.Has("guide-as-written"),
		mcpPolicy:          !w.Has("mcp-policy-missing"),
		rewrite:            !w.Has("rewrite-missing"),
		challenge:          !w.Has("no-www-authenticate"),
		oboScope:           "/.default",
		forwardsQuery:      w.Has("guide-as-written") || w.Has("authorize-forwards-resource"),
		tokenDropsResource: !w.Has("guide-as-written"),
		correlationID:      true,
		gateway:            w.GatewayURL, authority: w.AuthorityHost, tenantID: w.TenantID,
	}
	for _, f := range oboViaGuideFaults {
		p.guideMCP = p.guideMCP || w.Has(f)
	}
	if w.Has("obo-invalid-scope") {
		// The guide's troubleshooting: the expression does not render
		// api://<guid>/.default (here the slash before .default is lost).
		p.oboScope = ".default"
	}
	fill := strings.NewReplacer(
		"https://login.microsoftonline.com/<your-tenant-id>", w.AuthorityHost+"/"+w.TenantID,
		"https://<your-apim-host>/context7", w.GatewayURL+"/"+w.APIPath,
		"https://<your-apim-host>", w.GatewayURL,
		"<gateway-app-id>", w.GatewayAppID,
	)
	p.prmBody = gatewayPRMTemplate // prm-placeholder: pasted without replacing anything
	if !w.Has("prm-placeholder") {
		p.prmBody = fill.Replace(p.prmBody)
	}
	if w.Has("prm-wrong-resource") {
		p.prmBody = strings.Replace(p.prmBody, `"resource": "`+w.GatewayURL+"/"+w.APIPath+`"`, `"resource": "`+gatewayWrongResource+`"`, 1)
		p.prmBody = strings.Replace(p.prmBody, `"resource": "https://<your-apim-host>/context7"`, `"resource": "`+gatewayWrongResource+`"`, 1)
	}
	p.asBody = fill.Replace(gatewayASTemplate)
	return p
}

// labPolicyDoc is one policy document at its scope, as format=xml shows it.
type labPolicyDoc struct {
	scope                             string // global, product, api, operation, fragment
	product, api, operation, fragment string
	xml                               string
}

// policyDoc renders the document at a place; ok is false where the
// instance holds none (a missing operation has no policy either).
func (s apimState) policyDoc(scope, id, sub string) (labPolicyDoc, bool) {
	p := s.policies
	variant := "recommended/"
	doc := labPolicyDoc{scope: scope}
	var tmpl string
	switch scope {
	case "global":
		tmpl = "global.xml"
	case "fragment":
		if id != fragmentCorrelation || !p.correlationID {
			return doc, false
		}
		doc.fragment, tmpl = id, "correlation-id.xml"
	case "product":
		pr, ok := s.product(id)
		if !ok || !pr.policy {
			return doc, false
		}
		id = pr.id
		doc.product, tmpl = id, "product.xml"
	case "api":
		if id != apiMCP || !p.mcpPolicy {
			return doc, false // the OAuth proxy's policies are per operation
		}
		if p.guideMCP {
			variant = "guide/"
		}
		doc.api, tmpl = id, variant+"context7-mcp.xml"
	case "operation":
		if id != apiProxy || !s.api(apiProxy).hasOperationID(sub) {
			return doc, false
		}
		if p.guideProxy {
			variant = "guide/"
		}
		if sub == "token" && !p.tokenDropsResource {
			return doc, false // the guide: "The /token operation needs no custom policy."
		}
		doc.api, doc.operation, tmpl = id, sub, variant+sub+".xml"
	default:
		return doc, false
	}
	doc.xml = p.render(tmpl)
	return doc, true
}

// render fills one embedded document with the facts.
func (p apimPolicies) render(path string) string {
	t := policyTemplates()[path]
	if t == nil {
		panic("lab: no embedded policy " + path)
	}
	var b strings.Builder
	err := t.Execute(&b, map[string]any{
		"Gateway": p.gateway, "Authority": p.authority, "TenantID": p.tenantID,
		"Rewrite": p.rewrite, "Challenge": p.challenge, "ScopeSuffix": p.oboScope,
		"PRMBody": xmlEscapeText(p.prmBody), "ASBody": xmlEscapeText(p.asBody),
		"ForwardsQuery": p.forwardsQuery, "OBOFailedBody": xmlEscapeText(gatewayOBOFailedBody),
	})
	if err != nil {
		panic(fmt.Sprintf("lab: policy %s: %v", path, err))
	}
	return b.String()
}

// policyDocs is every document of the instance, in the order a reader
// meets them: global, fragments, products, APIs, operations.
func (s apimState) policyDocs() []labPolicyDoc {
	var out []labPolicyDoc
	add := func(scope, id, sub string) {
		if d, ok := s.policyDoc(scope, id, sub); ok {
			out = append(out, d)
		}
	}
	add("global", "", "")
	add("fragment", fragmentCorrelation, "")
	for _, pr := range s.products {
		add("product", pr.id, "")
	}
	for _, a := range s.apis {
		add("api", a.id, "")
		for _, o := range a.operations {
			add("operation", a.id, o.id)
		}
	}
	return out
}
