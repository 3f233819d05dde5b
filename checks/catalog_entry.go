package checks

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/template"

	"github.com/c7doctor/c7doctor/report"
)

// Entry is one finding the tool can emit: what it means, where the guide
// fixes it, and how. Fix and Commands are text/templates over CommandData.
type Entry struct {
	ID       string
	Title    string
	Severity report.Severity
	Section  string // guide heading; "" when no section applies
	Fix      []string
	Commands []string
	AADSTS   []int  // Entra codes this entry explains, for `explain AADSTSnnnn`: filled from EntraRules
	Check    string // the check that emits it, for `explain`
	// PolicyRule entries are the policy linter's rules: `policy lint`
	// reports them too.
	PolicyRule bool
	// Ambiguous entries name more than one cause; a later check's entry
	// that Decides it says which, and the verdict cites that one.
	Ambiguous bool
	Decides   []string
}

// Catalog is every finding the tool can emit, keyed by id. It is built on
// first use: a command that judges nothing (version, completion) does not
// pay for it at start-up.
var Catalog = sync.OnceValue(func() map[string]Entry {
	return buildCatalog(coreEntries, discoveryEntries, tokenEntries, oboEntries, mcpEntries, signInEntries, policyEntries(), apimEntries, entraEntries)
})

func buildCatalog(groups ...[]Entry) map[string]Entry {
	out := map[string]Entry{}
	for _, g := range groups {
		for _, e := range g {
			if _, dup := out[e.ID]; dup {
				panic("checks: duplicate catalog id " + e.ID)
			}
			out[e.ID] = e
		}
	}
	for id, codes := range entraCodes() {
		e := out[id]
		for _, c := range codes {
			if !slices.Contains(e.AADSTS, c) {
				e.AADSTS = append(e.AADSTS, c)
			}
		}
		out[id] = e
	}
	return out
}

// Entries returns the catalog sorted by id.
func Entries() []Entry {
	out := make([]Entry, 0, len(Catalog()))
	for _, e := range Catalog() {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// CommandData fills the catalog's fix and command templates with the run's
// own ids; unknown values stay as marked placeholders.
type CommandData struct {
	Tenant, GatewayAppID, MCPAPIAppID, ClientID string
	Subscription, ResourceGroup, APIMName       string
	Gateway, Host, APIPath, MCPEndpoint         string
	AuthorityHost                               string
	// Known once Microsoft Graph was read; marked placeholders before.
	GraphEndpoint, GatewayObjectID, MCPAPIObjectID, MCPAccessScopeID string
}

// NewCommandData takes what the config knows.
func NewCommandData(c *Config) CommandData {
	or := func(v, placeholder string) string {
		if strings.TrimSpace(v) == "" {
			return placeholder
		}
		return v
	}
	host := strings.TrimPrefix(strings.TrimPrefix(c.Gateway, "https://"), "http://")
	return CommandData{
		Tenant:        or(c.Tenant, "<tenant-id>"),
		GatewayAppID:  or(c.GatewayAppID, "<gateway-app-id>"),
		MCPAPIAppID:   or(c.MCPAPIAppID, "<mcp-api-app-id>"),
		ClientID:      or(c.ClientID, AzureCLIClientID),
		Subscription:  or(c.Subscription, "<subscription-id>"),
		ResourceGroup: or(c.ResourceGroup, "<resource-group>"),
		APIMName:      or(c.APIMName, "<apim-name>"),
		Gateway:       or(c.Gateway, "https://<apim-host>"),
		Host:          or(host, "<apim-host>"),
		APIPath:       or(c.APIPath, "context7"),
		MCPEndpoint:   or(c.MCPEndpoint(), "https://<apim-host>/context7/mcp"),
		AuthorityHost: or(c.AuthorityHost, "https://login.microsoftonline.com"),
		GraphEndpoint: "https://graph.microsoft.com",
		// Placeholders until Graph is read: az resolves app ids, az rest needs object ids.
		GatewayObjectID:  "$(az ad app show --id " + or(c.GatewayAppID, "<gateway-app-id>") + " --query id -o tsv)",
		MCPAPIObjectID:   "$(az ad app show --id " + or(c.MCPAPIAppID, "<mcp-api-app-id>") + " --query id -o tsv)",
		MCPAccessScopeID: "<mcp.access-scope-id>",
	}
}

// Finding builds the report finding for a catalog id with the given detail.
// An unknown id is a programming error and panics; the runner turns that
// into a failed check, and a test walks every id the code uses.
func (d CommandData) Finding(id, detail string) report.Finding {
	e, ok := Catalog()[id]
	if !ok {
		panic(fmt.Sprintf("checks: unknown finding id %q", id))
	}
	f := report.Finding{
		ID: e.ID, Severity: e.Severity, Title: e.Title, Detail: detail,
		Guide: GuideRef(e.Section), Fix: []string{}, Commands: []string{},
	}
	for _, s := range e.Fix {
		f.Fix = append(f.Fix, d.expand(s))
	}
	for _, s := range e.Commands {
		f.Commands = append(f.Commands, d.expand(s))
	}
	return f
}

func (d CommandData) expand(s string) string {
	if !strings.Contains(s, "{{") {
		return s
	}
	t, err := template.New("").Option("missingkey=error").Parse(s)
	if err != nil {
		return s
	}
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return s
	}
	return b.String()
}

// Explain finds the entries matching a finding id, an AADSTS code or words.
func Explain(query string) []Entry {
	q := strings.TrimSpace(query)
	if e, ok := Catalog()[q]; ok {
		return []Entry{e}
	}
	upper := strings.ToUpper(q)
	if code, err := strconv.Atoi(strings.TrimPrefix(upper, "AADSTS")); err == nil {
		var out []Entry
		for _, e := range Entries() {
			for _, c := range e.AADSTS {
				if c == code {
					out = append(out, e)
				}
			}
		}
		// The guide's own troubleshooting entry for a code comes first.
		sort.SliceStable(out, func(i, j int) bool {
			return troubleshooting(out[i].Section) && !troubleshooting(out[j].Section)
		})
		return out
	}
	words := strings.Fields(strings.ToLower(q))
	var out []Entry
	for _, e := range Entries() {
		hay := strings.ToLower(strings.Join(append([]string{e.ID, e.Title, e.Section, e.Check}, e.Fix...), " "))
		all := len(words) > 0
		for _, w := range words {
			if !strings.Contains(hay, w) {
				all = false
			}
		}
		if all {
			out = append(out, e)
		}
	}
	return out
}

// troubleshooting reports one of the guide's troubleshooting headings.
func troubleshooting(section string) bool {
	switch section {
	case SecAPIM401, SecOBO50013, SecOBO70011, SecContext7401, SecStreamingCut, SecWrongClientID:
		return true
	}
	return false
}

// coreEntries are the guide's own troubleshooting entries and the runner's findings.
var coreEntries = []Entry{
	{
		ID: "apim-401", Title: "APIM refused the token (validate-azure-ad-token)", Severity: report.Error,
		Section: SecAPIM401, Check: "mcp-initialize",
		Fix: []string{
			"Decode the token (c7doctor token decode) and check iss is https://login.microsoftonline.com/{{.Tenant}}/v2.0, aud is {{.GatewayAppID}}, scp contains Mcp.Gateway.Access and exp is in the future.",
		},
	},
	{
		ID: "token-v1-issuer", Title: "The token has a v1 issuer (sts.windows.net)", Severity: report.Error,
		Section: SecAPIM401, Check: "gateway-claims",
		Fix: []string{
			"Set requestedAccessTokenVersion to 2 in the APIM Gateway app's manifest (Part 2 Step 2), then get a new token.",
		},
		Commands: []string{"az ad app update --id {{.GatewayAppID}} --set api.requestedAccessTokenVersion=2"},
	},
	{
		ID: "obo-consent", Title: "The OBO exchange is not consented (AADSTS65001)", Severity: report.Error,
		Section: SecOBO50013, Check: "obo",
		Fix: []string{
			"In the APIM Gateway app, API permissions must list Context7 MCP API → mcp.access (Delegated), granted for the tenant; grant admin consent.",
		},
		Commands: []string{
			`SCOPE_ID=$(az ad app show --id {{.MCPAPIAppID}} --query "api.oauth2PermissionScopes[?value=='mcp.access'].id" -o tsv)`,
			`az ad app permission add --id {{.GatewayAppID}} --api {{.MCPAPIAppID}} --api-permissions "$SCOPE_ID=Scope"`,
			"az ad app permission admin-consent --id {{.GatewayAppID}}",
		},
	},
	{
		ID: "obo-invalid-scope", Title: "The OBO scope is malformed (AADSTS70011)", Severity: report.Error,
		Section: SecOBO70011, Check: "obo",
		Fix: []string{
			"The mcp-api-app-id named value must hold the MCP API app's client id (a GUID); the policy must render api://<guid>/.default.",
		},
		Commands: []string{
			"az apim nv update -g {{.ResourceGroup}} --service-name {{.APIMName}} --named-value-id mcp-api-app-id --value {{.MCPAPIAppID}}",
		},
	},
	{
		ID: "context7-401", Title: "Context7 refused the OBO token", Severity: report.Error,
		Section: SecContext7401, Check: "mcp-initialize",
		Fix: []string{
			"In the Context7 dashboard (Settings → Microsoft Entra ID) the Tenant ID must be {{.Tenant}}, the Audience {{.MCPAPIAppID}} and the Required scope mcp.access.",
		},
	},
	{
		ID: "sse-truncated", Title: "The event stream was cut off", Severity: report.Error,
		Section: SecStreamingCut, Check: "mcp-initialize",
		Fix: []string{
			"Set Frontend Response payload logging to 0 bytes at the APIM service level (diagnostics).",
			"An API-level diagnostic overrides the service's: set the MCP API's (context7-mcp) to 0 bytes too. The commands below do both, for every diagnostic (Application Insights, Azure Monitor), frontend and backend responses.",
		},
		Commands: []string{zeroBodyLogging(mgmtService), zeroBodyLogging(mgmtService + "/apis/context7-mcp")},
	},
	{
		ID: "wrong-client-id", Title: "The client is not authorized on the Gateway app (AADSTS65005)", Severity: report.Error,
		Section: SecWrongClientID, Check: "gateway-token",
		Fix: []string{
			"Add client {{.ClientID}} under Expose an API → Authorized client applications of the APIM Gateway app, with the Mcp.Gateway.Access scope ticked.",
		},
	},
	{
		ID: "check-panicked", Title: "The check crashed", Severity: report.Error, Check: "any",
		Fix: []string{"This is a bug in c7doctor: please report it with the output of -v."},
	},
	{
		ID: "interrupted", Title: "Interrupted", Severity: report.Error, Check: "any",
		Fix: []string{"The run was interrupted (Ctrl-C) while this check ran."},
	},
	{
		ID: "deadline", Title: "The run's deadline passed", Severity: report.Error, Check: "any",
		Fix: []string{"Raise --deadline, or look at which hop is slow with -v."},
	},
	{
		ID: "check-timeout", Title: "The check took too long", Severity: report.Error, Check: "any",
		Fix: []string{"Raise --timeout, or look at which hop is slow with -v."},
	},
}

// zeroBodyLogging is the command that sets the response body bytes every
// diagnostic at scope logs to 0: read each one, change the two numbers, put
// it back whole (its logger and sampling stay as they are).
func zeroBodyLogging(scope string) string {
	list := scope + "/diagnostics?api-version=2024-05-01"
	one := scope + "/diagnostics/$d?api-version=2024-05-01"
	return `for d in $(az rest --method get --uri "` + list + `" --query "value[].name" -o tsv); do ` +
		`az rest --method get --uri "` + one + `" | jq '.properties.frontend.response.body.bytes = 0 | .properties.backend.response.body.bytes = 0' > diagnostic-$d.json && ` +
		`az rest --method put --uri "` + one + `" --body @diagnostic-$d.json; done`
}
