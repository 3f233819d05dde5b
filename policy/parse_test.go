package policy

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestParseDetectsTheFormat(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      Format
		rule      string // the parse error's rule, "" when it reads
	}{
		{"escaped attribute", `<policies><inbound><set-variable name="a" value="@(&quot;x&quot;)" /></inbound></policies>`, FormatXML, ""},
		{"raw attribute", `<policies><inbound><set-variable name="a" value="@("x" + "<y>" + "&")" /></inbound></policies>`, FormatRawXML, ""},
		{"raw element text", "<policies><inbound><set-body>@{ var d = new Dictionary<string, string>(); return \"a&b\"; }</set-body></inbound></policies>", FormatRawXML, ""},
		{"escaped element text", `<policies><inbound><set-body>@{ return "a&amp;b"; }</set-body></inbound></policies>`, FormatXML, ""},
		{"a raw quote among escaped ones", `<policies><inbound><set-variable name="a" value="@(&quot;x&quot; + "y")" /></inbound></policies>`, FormatXML, "expression-attribute-escaping"},
		{"raw < in an xml attribute expression", `<policies><inbound><set-variable name="a" value="@(1 < 2 &amp;&amp; true)" /></inbound></policies>`, FormatXML, "expression-attribute-escaping"},
		{"placeholder as a tag", "<policies><inbound><set-body>{\"resource\": \"https://<your-apim-host>/context7\"}</set-body></inbound></policies>", FormatXML, "template-placeholder"},
		{"mismatched tag", `<policies><inbound></outbound></policies>`, FormatXML, "xml-not-well-formed"},
		{"empty", ``, FormatXML, "xml-not-well-formed"},
		{"prolog, comment and BOM", "\ufeff<?xml version=\"1.0\"?>\n<!-- c -->\n<policies/>\n", FormatXML, ""},
		{"string literal holding a paren", `<policies><inbound><set-variable name="a" value="@(")" + '}' + @"a""b" + $"{1 + (2)}")" /></inbound></policies>`, FormatRawXML, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse(File{Path: "p.xml", Content: tc.src})
			rule := ""
			if err != nil {
				rule = err.(*parseError).rule
			}
			if rule != tc.rule || d.Format != tc.want {
				t.Errorf("format %s, error %v (%s); want %s, %q", d.Format, err, rule, tc.want, tc.rule)
			}
		})
	}
}

func TestPositionsPointIntoTheSource(t *testing.T) {
	src := "<policies>\n  <inbound>\n    <set-variable name=\"é\" value=\"@(&quot;Bearer &quot;.StartsWith(&quot;x&quot;))\" />\n  </inbound>\n</policies>\n"
	d, err := Parse(File{Path: "p.xml", Content: src})
	if err != nil {
		t.Fatal(err)
	}
	sv := d.Root.Child("inbound").Child("set-variable")
	if p := sv.Pos(); p != (Pos{Line: 3, Col: 5}) {
		t.Errorf("element at %+v", p)
	}
	v, _ := sv.Attr("value")
	i := strings.Index(v.Text, "StartsWith")
	if p := d.PosAt(v.Off(i)); p != (Pos{Line: 3, Col: 57}) {
		t.Errorf("StartsWith at %+v, want 3:57 (columns count code points; entities are source width)", p)
	}
	if got := v.Text; got != `@("Bearer ".StartsWith("x"))` {
		t.Errorf("decoded %q", got)
	}
	_, err = Parse(File{Path: "p.xml", Content: "<policies>\n  <inbound>\n  </outbound>\n</policies>"})
	if pe := err.(*parseError); d.PosAt(pe.off).Line != 3 {
		t.Errorf("error at line %d", d.PosAt(pe.off).Line)
	}
}

func TestLayout(t *testing.T) {
	for path, want := range map[string]Place{
		"apim/policy.xml":                                           {Scope: ScopeGlobal},
		"apim/apis/context7-mcp/policy.xml":                         {Scope: ScopeAPI, API: "context7-mcp"},
		"apim/apis/context7-mcp/apiPolicy.xml":                      {Scope: ScopeAPI, API: "context7-mcp"},
		"apis/oauth-proxy/operations/authorize/policy.xml":          {Scope: ScopeOperation, API: "oauth-proxy", Operation: "authorize"},
		"x/products/starter/policy.xml":                             {Scope: ScopeProduct, Product: "starter"},
		"x/policy fragments/obo/policy.xml":                         {Scope: ScopeFragment, Fragment: "obo"},
		`C:\repo\apim\apis\context7-mcp\operations\post\policy.xml`: {Scope: ScopeOperation, API: "context7-mcp", Operation: "post"},
	} {
		if got, ok := Layout(path); !ok || got != want {
			t.Errorf("Layout(%q) = %+v, %v; want %+v", path, got, ok, want)
		}
	}
	if _, ok := Layout("prm-policy.xml"); ok {
		t.Error("a loose file has no place in the layout")
	}
}

// Global, product, API and operation compose with <base /> expanded and
// fragments included; findings cite the file each statement came from.
func TestComposedPipelineCitesEachFile(t *testing.T) {
	in := Input{
		NamedValues: map[string]NamedValue{},
		ProductAPIs: map[string][]string{"starter": {"mcp"}},
		Files: []File{
			{Path: "policy.xml", Content: `<policies><inbound><include-fragment fragment-id="validate" /></inbound><backend><forward-request /></backend><outbound /><on-error /></policies>`},
			{Path: "products/starter/policy.xml", Content: "<policies><inbound><base />\n<rewrite-uri template=\"/mcp/oauth\" /></inbound></policies>"},
			{Path: "apis/mcp/policy.xml", Content: `<policies><inbound><base /></inbound></policies>`},
			{Path: "apis/mcp/operations/post/policy.xml", Content: "<policies><inbound><base />\n\n<rewrite-uri template=\"/mcp\" /></inbound></policies>"},
			{Path: "policy fragments/validate/policy.xml", Content: `<fragment><validate-azure-ad-token tenant-id="contoso.onmicrosoft.com"><audiences><audience>x</audience></audiences></validate-azure-ad-token></fragment>`},
		},
	}
	res := Lint(in)
	want := map[string]string{
		"rewrite-uri-duplicate":  "apis/mcp/operations/post/policy.xml:3",
		"rewrite-uri-target":     "apis/mcp/operations/post/policy.xml:3",
		"token-validation-scope": "policy fragments/validate/policy.xml:1",
		"obo-missing":            "policy fragments/validate/policy.xml:1",
	}
	got := map[string]string{}
	for _, f := range res.Findings {
		got[f.Rule] = f.Path + ":" + strconv.Itoa(f.Pos.Line)
	}
	for rule, at := range want {
		if got[rule] != at {
			t.Errorf("%s at %q, want %q (all: %v)", rule, got[rule], at, got)
		}
	}
}

// Every rule the code reports is in the table, and every rule in the
// table has a title, a fix and a guide section.
func TestRulesTable(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules {
		if seen[r.ID] {
			t.Errorf("duplicate rule %s", r.ID)
		}
		seen[r.ID] = true
		if r.Title == "" || len(r.Fix) == 0 || r.Section == "" || r.Severity == "" {
			t.Errorf("rule %s is incomplete", r.ID)
		}
	}
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, _ := os.ReadFile(f)
		for _, m := range ruleCallRe.FindAllStringSubmatch(string(src), -1) {
			if !seen[m[1]] {
				t.Errorf("%s reports %q, which is not in Rules", f, m[1])
			}
		}
	}
}

var ruleCallRe = regexp.MustCompile(`l\.(?:at|add)\("([a-z0-9-]+)"`)

// A document read from a live instance has no APIOps path: its scope, API
// and operation are given, and it composes like a file.
func TestLiveDocumentsComposeByTheirGivenPlace(t *testing.T) {
	op := File{Path: "arm: apis/mcp/operations/post/policies/policy", Scope: ScopeOperation, API: "mcp", Operation: "post",
		Content: `<policies><inbound><base /><rewrite-uri template="/mcp/oauth" /></inbound></policies>`}
	api := File{Path: "arm: apis/mcp/policies/policy", Scope: ScopeAPI, API: "mcp",
		Content: `<policies><inbound><base /><validate-azure-ad-token tenant-id="t.example" /><rewrite-uri template="/mcp/oauth" /></inbound></policies>`}
	res := Lint(Input{Files: []File{api, op}})
	for _, f := range res.Findings {
		if f.Rule == "rewrite-uri-duplicate" && f.Path == op.Path && f.Pipeline == op.Path {
			return
		}
	}
	t.Errorf("the operation's rewrite after the API's was not found: %+v", res.Findings)
}

// A placeholder written as text (escaped in xml, inside a string in
// rawxml) reaches the wire as it is.
func TestPlaceholdersAsText(t *testing.T) {
	for _, src := range []string{
		`<policies><inbound><return-response><set-header name="Location"><value>@($"https://login.microsoftonline.com/<your-tenant-id>/oauth2/v2.0/authorize{context.Request.OriginalUrl.QueryString}")</value></set-header></return-response></inbound></policies>`,
		`<policies><inbound><set-variable name="aud" value="&lt;gateway-app-id&gt;" /></inbound></policies>`,
	} {
		res := Lint(Input{Files: []File{{Path: "apis/a/policy.xml", Content: src}}})
		found := false
		for _, f := range res.Findings {
			found = found || f.Rule == "template-placeholder"
			if f.Rule == "xml-not-well-formed" {
				t.Errorf("%s: read as ill-formed: %s", src, f.Message)
			}
		}
		if !found {
			t.Errorf("no template-placeholder in %s", src)
		}
	}
}

// "Bearer " + something else than the OBO token is still the wrong header.
func TestAuthorizationMustCarryTheOBOToken(t *testing.T) {
	doc := func(value string) string {
		return `<policies><inbound><validate-azure-ad-token tenant-id="t.example" />
<cache-lookup-value key="@(&quot;k&quot; + (string)context.Variables[&quot;oid&quot;])" variable-name="oboToken" />
<send-request mode="new" response-variable-name="oboResponse"><set-url>https://login.microsoftonline.com/t.example/oauth2/v2.0/token</set-url><set-body>grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer</set-body></send-request>
<set-variable name="fresh" value="@(((IResponse)context.Variables[&quot;oboResponse&quot;]).Body.As&lt;JObject&gt;()[&quot;access_token&quot;])" />
<set-header name="Authorization" exists-action="override"><value>` + value + `</value></set-header>
<rewrite-uri template="/mcp/oauth" /></inbound></policies>`
	}
	for value, want := range map[string]bool{
		`@("Bearer " + (string)context.Variables["gatewayAppId"])`: true,
		`@("Bearer " + (string)context.Variables["oboToken"])`:     false,
		`@("Bearer " + (string)context.Variables["fresh"])`:        false,
	} {
		res := Lint(Input{Files: []File{{Path: "apis/mcp/policy.xml", Content: doc(strings.ReplaceAll(value, `"`, "&quot;"))}}})
		got := false
		for _, f := range res.Findings {
			got = got || f.Rule == "authorization-header"
		}
		if got != want {
			t.Errorf("%s: authorization-header %v, want %v", value, got, want)
		}
	}
}

// The OBO request goes to the tenant whose tokens the gateway validates.
func TestOBOEndpointIsTheValidatedTenant(t *testing.T) {
	doc := func(url string) string {
		return `<policies><inbound><validate-azure-ad-token tenant-id="{{entra-tenant-id}}" />
<set-variable name="tid" value="{{entra-tenant-id}}" /><set-variable name="other" value="{{other-tenant}}" />
<send-request mode="new" response-variable-name="r"><set-url>` + url + `</set-url><set-body>x</set-body></send-request>
</inbound></policies>`
	}
	nvs := map[string]NamedValue{
		"entra-tenant-id": {Name: "entra-tenant-id", Value: "7a1c5e2f-4b3d-4e8a-9c6f-2d1b0a9e8f70", Known: true},
		"other-tenant":    {Name: "other-tenant", Value: "contoso.onmicrosoft.com", Known: true},
	}
	for url, want := range map[string]bool{
		`@("https://login.microsoftonline.com/" + (string)context.Variables["tid"] + "/oauth2/v2.0/token")`:   false,
		`@("https://login.microsoftonline.com/" + (string)context.Variables["other"] + "/oauth2/v2.0/token")`: true,
		`https://login.microsoftonline.com/{{entra-tenant-id}}/oauth2/v2.0/token`:                             false,
		`https://login.microsoftonline.com/fabrikam.onmicrosoft.com/oauth2/v2.0/token`:                        true,
	} {
		res := Lint(Input{Files: []File{{Path: "apis/mcp/policy.xml", Content: doc(url)}}, NamedValues: nvs})
		got := false
		for _, f := range res.Findings {
			got = got || f.Rule == "obo-endpoint" && strings.Contains(f.Message, "validated for")
		}
		if got != want {
			t.Errorf("%s: tenant mismatch %v, want %v (%v)", url, got, want, res.Findings)
		}
	}
}
