package checks

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/c7doctor/c7doctor/azure"
	"github.com/c7doctor/c7doctor/policy"
	"github.com/c7doctor/c7doctor/report"
)

// treeSnapshot is what ARM would show of an instance holding the APIOps
// tree's policies (format=xml) and named values.
func treeSnapshot(t *testing.T, tree string) *azure.APIM {
	t.Helper()
	snap := &azure.APIM{
		Service: azure.Service{Name: "apim-contoso", GatewayURL: "https://apim-contoso.azure-api.net"},
		APIs: []azure.API{
			{Name: "context7-mcp", Path: "context7", IsCurrent: true},
			{Name: "oauth-proxy", Path: "", IsCurrent: true},
		},
	}
	err := filepath.WalkDir(tree, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(tree, path)
		switch d.Name() {
		case "policy.xml":
			pl, ok := policy.Layout(filepath.ToSlash(rel))
			if !ok {
				t.Fatalf("%s: not an APIOps path", rel)
			}
			snap.Policies.Docs = append(snap.Policies.Docs, azure.PolicyDoc{Scope: azure.PolicyScope(pl.Scope), API: pl.API, Operation: pl.Operation, XML: string(data)})
		case "namedValueInformation.json":
			var nv struct {
				Properties struct {
					DisplayName, Value string
					Secret             bool
				}
			}
			if err := json.Unmarshal(data, &nv); err != nil {
				return err
			}
			p := nv.Properties
			if p.Secret {
				p.Value = ""
			}
			snap.NamedValues = append(snap.NamedValues, azure.NamedValue{Name: p.DisplayName, DisplayName: p.DisplayName, Secret: p.Secret, Value: p.Value})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func runPolicies(t *testing.T, snap *azure.APIM) report.Check {
	t.Helper()
	env := testEnv(t)
	env.Config.Gateway, env.Config.APIPath = "https://apim-contoso.azure-api.net", "context7"
	env.Config.Subscription, env.Config.ResourceGroup, env.Config.APIMName = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0", "rg", "apim-contoso"
	env.ARM = snapshotReader{snap: snap}
	rep := Run(context.Background(), env, All, Selection{Only: []string{"apim-policies"}})
	c, ok := rep.Find("apim-policies")
	if !ok {
		t.Fatal("apim-policies did not run")
	}
	return *c
}

func policyIDs(c report.Check) []string {
	var out []string
	for _, f := range c.Findings {
		out = append(out, f.ID)
	}
	return out
}

// The guide's policies as ARM shows them give what the offline linter gives
// on the same files: the same rules, at the same lines, with a command that
// fetches the document and one that puts it back.
func TestAPIMPoliciesLintsWhatARMShows(t *testing.T) {
	c := runPolicies(t, treeSnapshot(t, "../testdata/policy/guide"))
	if c.Status != report.Warn {
		t.Fatalf("status %s (%s): %v", c.Status, c.Summary, policyIDs(c))
	}
	want := []string{ // as TestPolicyLintGuideGolden, line by line
		"token-validation-scp-separator", "secret-in-variable", "bearer-case-sensitive", "bearer-case-sensitive",
		"obo-response-unchecked", "cache-key-empty", "cache-key-tenant", "cache-unconditional",
		"challenge-upstream-passed", "base-missing", "base-missing", "authorize-resource-forwarded", "base-missing",
	}
	if got := policyIDs(c); !slices.Equal(got, want) {
		t.Errorf("findings\n got %q\nwant %q", got, want)
	}
	for _, f := range c.Findings {
		if f.Guide == nil || len(f.Fix) == 0 || len(f.Commands) != 2 {
			t.Errorf("%s: guide %v, fix %q, commands %q", f.ID, f.Guide, f.Fix, f.Commands)
		}
		if f.ID == "authorize-resource-forwarded" {
			if !strings.HasPrefix(f.Detail, "apis/oauth-proxy/operations/authorize/policy.xml:5:7: ") {
				t.Errorf("detail %q", f.Detail)
			}
			if !strings.Contains(f.Commands[0], "/service/apim-contoso/apis/oauth-proxy/operations/authorize/policies/policy?api-version=2024-05-01&format=rawxml") ||
				!strings.Contains(f.Commands[1], "--body @authorize-policy-body.json") {
				t.Errorf("commands %q", f.Commands)
			}
		}
	}
}

// An MCP API without a policy of its own is open: the check says what is
// missing at its scope, and there is nothing to fetch before the fix.
func TestAPIMPoliciesMCPAPIWithoutPolicy(t *testing.T) {
	snap := treeSnapshot(t, "../testdata/policy/guide")
	snap.Policies.Docs = slices.DeleteFunc(snap.Policies.Docs, func(d azure.PolicyDoc) bool { return d.API == "context7-mcp" })
	c := runPolicies(t, snap)
	if c.Status != report.Fail {
		t.Fatalf("status %s: %v", c.Status, policyIDs(c))
	}
	for _, id := range []string{"token-validation-missing", "obo-missing", "rewrite-uri-missing", "challenge-header-missing"} {
		i := slices.IndexFunc(c.Findings, func(f report.Finding) bool { return f.ID == id })
		if i < 0 {
			t.Errorf("%s missing: %v", id, policyIDs(c))
			continue
		}
		f := c.Findings[i]
		if !strings.HasPrefix(f.Detail, "apis/context7-mcp/policy.xml:") || !strings.Contains(f.Detail, "no policy of its own") || len(f.Commands) != 1 {
			t.Errorf("%s: %q %q", id, f.Detail, f.Commands)
		}
	}
}

// A document that could not be read is an info finding, never a warning;
// with nothing read the check skips.
func TestAPIMPoliciesReadFailures(t *testing.T) {
	denied := &azure.Error{Op: "GET api policy context7-mcp", Kind: azure.KindNoAccess, Status: 403, Code: "AuthorizationFailed", Message: "no"}
	snap := treeSnapshot(t, "../testdata/policy/guide")
	snap.Policies.Errs = []error{denied}
	c := runPolicies(t, snap)
	if !slices.Contains(policyIDs(c), "arm-partial-read") || c.Status != report.Warn {
		t.Errorf("partial read: %s %v", c.Status, policyIDs(c))
	}
	for _, f := range c.Findings {
		if f.ID == "arm-partial-read" && f.Severity != report.Info {
			t.Errorf("arm-partial-read is %s", f.Severity)
		}
	}
	snap.Policies.Docs = nil
	c = runPolicies(t, snap)
	if c.Status != report.Skip || !slices.Equal(policyIDs(c), []string{"arm-partial-read"}) {
		t.Errorf("nothing read: %s %v", c.Status, policyIDs(c))
	}
}

// Named values: plain ones are known, secrets and Key Vault references
// exist without a value, and none at all when the list could not be read.
func TestLintInputNamedValues(t *testing.T) {
	snap := &azure.APIM{NamedValues: []azure.NamedValue{
		{Name: "tid", DisplayName: "entra-tenant-id", Value: "t"},
		{Name: "sec", DisplayName: "apim-gateway-client-secret", Secret: true},
		{Name: "kv", DisplayName: "kv-secret", KeyVault: &azure.KeyVault{SecretID: "https://v.vault.azure.net/secrets/s"}},
	}}
	nvs := LintInput(snap, "context7").Input.NamedValues
	if nv := nvs["entra-tenant-id"]; !nv.Known || nv.Value != "t" {
		t.Errorf("plain: %+v", nv)
	}
	for _, name := range []string{"apim-gateway-client-secret", "kv-secret"} {
		if nv, ok := nvs[name]; !ok || nv.Known || nv.Value != "" {
			t.Errorf("%s: %+v", name, nv)
		}
	}
	snap.NamedValuesErr = &azure.Error{Op: "list named values", Kind: azure.KindNoAccess}
	if nvs := LintInput(snap, "context7").Input.NamedValues; nvs != nil {
		t.Errorf("unread named values given as %v: a reference would be called missing", nvs)
	}
}
