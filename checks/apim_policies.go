package checks

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/c7doctor/c7doctor/azure"
	"github.com/c7doctor/c7doctor/policy"
)

// runAPIMPolicies hands the policy documents ARM shows (global, products,
// the guide's APIs and operations, the fragments they include) to the
// policy linter and reports its findings: the same rules `c7doctor policy
// lint` runs on files, on what the gateway really applies.
func runAPIMPolicies(ctx context.Context, env *Env, r *Result) {
	snap := apimSnapshot(ctx, env, r, false)
	if snap == nil {
		return
	}
	pol := snap.Policies
	for _, err := range pol.Errs {
		partial(r, "the policies", err)
	}
	if len(pol.Docs) == 0 && len(pol.Errs) > 0 {
		r.Skip("the policy documents could not be read")
		return
	}
	li, res := env.State.APIM.linted(snap, env.Config.APIPath)
	var paths []string
	for _, f := range li.Input.Files {
		paths = append(paths, f.Path)
	}
	r.Evidence("policies", strings.Join(paths, ", "))
	data := NewCommandData(env.Config)
	for _, f := range res.Findings {
		r.Find(f.Rule, li.Detail(f), WithCommands(li.Commands(data, f.Path)...))
		if t, ok := policyFindingTopic(li, snap, f); ok {
			noteCause(r, policyKey(li, t, f))
		}
	}
	errs, warns := res.Count(policy.Error), res.Count(policy.Warning)
	switch {
	case errs > 0:
		// The error of the rule the rules table lists first: the document
		// before its statements, token validation before the exchange.
		first := slices.MinFunc(slices.DeleteFunc(slices.Clone(res.Findings), func(f policy.Finding) bool { return f.Severity != policy.Error }), func(a, b policy.Finding) int {
			return ruleIndex(a.Rule) - ruleIndex(b.Rule)
		})
		r.Summary("%s (%s in %d policy documents)", first.Title, counts(errs, warns), len(li.Input.Files))
	case warns > 0:
		r.Summary("%d policy documents: %s", len(li.Input.Files), counts(errs, warns))
	default:
		r.Summary("%d policy documents: token validation, the OBO exchange and its cache, the rewrite to /mcp/oauth, the 401 challenge and the discovery answers where the guide puts them", len(li.Input.Files))
	}
}

func ruleIndex(id string) int {
	return slices.IndexFunc(policy.Rules, func(r policy.Rule) bool { return r.ID == id })
}

// counts is "1 error, 8 warnings".
func counts(errs, warns int) string {
	plural := func(n int, word string) string {
		if n == 1 {
			return fmt.Sprintf("1 %s", word)
		}
		return fmt.Sprintf("%d %ss", n, word)
	}
	return plural(errs, "error") + ", " + plural(warns, "warning")
}

// lintedPolicies is the run's one lint of the documents ARM showed, made
// by whichever asks first: a wire check wanting a cause, or apim-policies.
type lintedPolicies struct {
	once sync.Once
	in   PolicyLintInput
	res  *policy.Result
}

func (rd *apimRead) linted(snap *azure.APIM, apiPath string) (PolicyLintInput, *policy.Result) {
	lp := &rd.lint
	lp.once.Do(func() {
		lp.in = LintInput(snap, apiPath)
		lp.res = lp.in.Lint()
	})
	return lp.in, lp.res
}

// PolicyLintInput is a live instance's policies as the linter takes them,
// with where each document lives in ARM.
type PolicyLintInput struct {
	Input policy.Input
	docs  map[string]azure.PolicyDoc // by path
	// defaulted are paths that hold no document in ARM: APIM's default
	// (<base /> in every section) stands in for them.
	defaulted map[string]bool
}

// apimDefaultPolicy is what APIM applies at a scope that has no policy.
const apimDefaultPolicy = "<policies>\n  <inbound>\n    <base />\n  </inbound>\n  <backend>\n    <base />\n  </backend>\n  <outbound>\n    <base />\n  </outbound>\n  <on-error>\n    <base />\n  </on-error>\n</policies>\n"

// LintInput converts the snapshot into the linter's input: each document
// at an APIOps-style path (apis/<api>/policy.xml …) so findings read like
// the offline linter's, the named values (secrets and Key Vault references
// exist but are not known), each product's APIs, each API's path, and the
// MCP API (the one at apiPath) marked as the MCP route.
func LintInput(snap *azure.APIM, apiPath string) PolicyLintInput {
	li := PolicyLintInput{docs: map[string]azure.PolicyDoc{}, defaulted: map[string]bool{}}
	in := &li.Input
	for _, d := range snap.Policies.Docs {
		f := policy.File{Path: policyDocPath(d), Content: d.XML, Scope: policy.Scope(d.Scope), Format: policy.FormatXML,
			API: d.API, Operation: d.Operation, Product: d.Product, Fragment: d.Fragment}
		in.Files = append(in.Files, f)
		li.docs[f.Path] = d
	}
	if snap.NamedValuesErr == nil {
		in.NamedValues = map[string]policy.NamedValue{}
		for _, nv := range snap.NamedValues {
			// Policies refer to a named value by its display name.
			name := cmp.Or(nv.DisplayName, nv.Name)
			pv := policy.NamedValue{Name: name, Secret: nv.Secret}
			if !nv.Secret && nv.KeyVault == nil {
				pv.Value, pv.Known = nv.Value, true
			}
			in.NamedValues[name] = pv
		}
	}
	in.ProductAPIs = snap.Policies.ProductAPIs
	in.APIPaths = map[string]string{}
	for _, a := range snap.APIs {
		if a.IsCurrent || len(snap.APIs) == 1 {
			in.APIPaths[a.Name] = a.Path
		}
	}
	if api, ok := snap.FindAPI(apiPath); ok {
		in.MCPAPIs = []string{api.Name}
		if !hasPolicyFor(snap.Policies, api.Name) {
			d := azure.PolicyDoc{Scope: azure.PolicyAPI, API: api.Name, XML: apimDefaultPolicy}
			path := policyDocPath(d)
			in.Files = append(in.Files, policy.File{Path: path, Content: d.XML, Scope: policy.ScopeAPI, Format: policy.FormatXML, API: api.Name})
			li.docs[path], li.defaulted[path] = d, true
		}
	}
	return li
}

func hasPolicyFor(p azure.Policies, api string) bool {
	for _, d := range p.Docs {
		if (d.Scope == azure.PolicyAPI || d.Scope == azure.PolicyOperation) && strings.EqualFold(d.API, api) {
			return true
		}
	}
	return false
}

// policyDocPath is where APIOps would keep the document.
func policyDocPath(d azure.PolicyDoc) string {
	switch d.Scope {
	case azure.PolicyAPI:
		return "apis/" + d.API + "/policy.xml"
	case azure.PolicyOperation:
		return "apis/" + d.API + "/operations/" + d.Operation + "/policy.xml"
	case azure.PolicyProduct:
		return "products/" + d.Product + "/policy.xml"
	case azure.PolicyFragment:
		return "policy fragments/" + d.Fragment + "/policy.xml"
	}
	return "policy.xml"
}

// Lint runs the linter; a finding in a document ARM does not hold says so.
func (li PolicyLintInput) Lint() *policy.Result {
	res := policy.Lint(li.Input)
	for i, f := range res.Findings {
		if li.defaulted[f.Path] {
			res.Findings[i].Message += " (the API has no policy of its own: APIM runs only the enclosing scopes')"
		}
	}
	return res
}

// Detail is a finding's text as a run shows it: where, what, and the
// operation whose composed policy showed it.
func (li PolicyLintInput) Detail(f policy.Finding) string {
	s := fmt.Sprintf("%s:%d:%d: %s", f.Path, f.Pos.Line, f.Pos.Col, f.Message)
	if f.Pipeline != "" && f.Pipeline != f.Path {
		s += "; seen in what " + f.Pipeline + " runs"
	}
	return s + "."
}

// Commands are the two that fetch the document a finding sits in and put
// the edited file back, filled with the run's ids.
func (li PolicyLintInput) Commands(data CommandData, path string) []string {
	d, ok := li.docs[path]
	if !ok {
		return nil
	}
	uri, file := mgmtService, ""
	switch d.Scope {
	case azure.PolicyAPI:
		uri, file = uri+"/apis/"+d.API+"/policies/policy", d.API+"-policy.xml"
	case azure.PolicyOperation:
		uri, file = uri+"/apis/"+d.API+"/operations/"+d.Operation+"/policies/policy", d.Operation+"-policy.xml"
	case azure.PolicyProduct:
		uri, file = uri+"/products/"+d.Product+"/policies/policy", d.Product+"-product-policy.xml"
	case azure.PolicyFragment:
		uri, file = uri+"/policyFragments/"+d.Fragment, d.Fragment+"-fragment.xml"
	default:
		uri, file = uri+"/policies/policy", "global-policy.xml"
	}
	uri += "?api-version=2024-05-01"
	body := strings.TrimSuffix(file, ".xml") + "-body.json"
	get := `az rest --method get --uri "` + uri + `&format=rawxml" --query properties.value -o tsv > ` + file
	if li.defaulted[path] {
		get = "" // nothing to fetch: start from the guide's policy
	}
	put := `jq -Rs '{properties: {value: ., format: "rawxml"}}' ` + file + ` > ` + body + ` && az rest --method put --uri "` + uri + `" --body @` + body
	var out []string
	for _, c := range []string{get, put} {
		if c != "" {
			out = append(out, data.expand(c))
		}
	}
	return out
}
