package checks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/c7doctor/c7doctor/azure"
	"github.com/c7doctor/c7doctor/policy"
)

// policyTopic is a setting of the policies that explains a wire finding:
// the statement, where the guide puts it, and the lint rules that judge it.
type policyTopic struct {
	setting string   // as the cause names it: "rewrite-uri"
	rules   []string // the rules whose findings show it
	// prm: only findings in the document that serves the PRM count.
	prm bool
}

// policyTopics are the policy topics of armCause.
var policyTopics = map[armTopic]policyTopic{
	topicRewrite:         {setting: "rewrite-uri", rules: []string{"rewrite-uri-missing", "rewrite-uri-target"}},
	topicChallenge:       {setting: "on-error WWW-Authenticate", rules: []string{"challenge-header-missing"}},
	topicTokenValidation: {setting: "validate-azure-ad-token", rules: []string{"token-validation-missing"}},
	topicPRMPolicy:       {setting: "PRM return-response", prm: true, rules: []string{"template-placeholder", "discovery-json", "prm-resource", "prm-authorization-server"}},
	topicOBOScope:        {setting: "OBO scope", rules: []string{"obo-scope"}},
}

// policyFindingTopic is the topic a lint finding of this run answers. An
// MCP API without a policy of its own has one cause, the token validation
// nothing runs: what else it lacks follows from that.
func policyFindingTopic(li PolicyLintInput, snap *azure.APIM, f policy.Finding) (policyTopic, bool) {
	for id, t := range policyTopics {
		if li.defaulted[f.Path] && id != topicTokenValidation {
			continue
		}
		if slices.Contains(t.rules, f.Rule) && (!t.prm || f.Path == prmPolicyPath(snap)) {
			return t, true
		}
	}
	return policyTopic{}, false
}

// policyKey names a policy setting as a cause, on both sides: "policy
// rewrite-uri at api context7-mcp".
func policyKey(li PolicyLintInput, t policyTopic, f policy.Finding) string {
	where := f.Path
	if d, ok := li.docs[f.Path]; ok {
		where = d.Where()
	}
	return "policy " + t.setting + " at " + where
}

// policyCause is what the lint of the instance's policies shows for a
// topic: the findings of its rules, with the commands that fetch and put
// back each document they sit in.
func policyCause(env *Env, snap *azure.APIM, topic armTopic) configCause {
	t, ok := policyTopics[topic]
	if !ok {
		return configCause{}
	}
	li, res := env.State.APIM.linted(snap, env.Config.APIPath)
	data := NewCommandData(env.Config)
	var c configCause
	var said []string
	// In the order of the topic's rules: the plainest statement first.
	findings := slices.Clone(res.Findings)
	slices.SortStableFunc(findings, func(a, b policy.Finding) int {
		return slices.Index(t.rules, a.Rule) - slices.Index(t.rules, b.Rule)
	})
	for _, f := range findings {
		if ft, ok := policyFindingTopic(li, snap, f); !ok || ft.setting != t.setting {
			continue
		}
		if k := policyKey(li, t, f); !slices.Contains(c.Keys, k) {
			c.Keys = append(c.Keys, k)
		}
		said = append(said, fmt.Sprintf("%s line %d: %s", f.Path, f.Pos.Line, f.Message))
		for _, cmd := range li.Commands(data, f.Path) {
			if !slices.Contains(c.Commands, cmd) {
				c.Commands = append(c.Commands, cmd)
			}
		}
	}
	if !c.found() {
		return c
	}
	more := ""
	if len(said) > 2 {
		said, more = said[:2], fmt.Sprintf("; and %d more", len(said)-2)
	}
	where := strings.TrimPrefix(c.Keys[0], "policy "+t.setting+" at ")
	c.Sentence = fmt.Sprintf(" ARM shows the cause in the policy at %s (%s): %s%s (apim-policies).", where, t.setting, strings.Join(said, "; "), more)
	return c
}

// prmPolicyPath is the path of the operation policy that serves the PRM:
// the operation at /.well-known/oauth-protected-resource of the API at the
// host root.
func prmPolicyPath(snap *azure.APIM) string {
	api, ok := snap.FindAPI("")
	if !ok {
		return ""
	}
	for _, op := range api.Operations {
		if strings.EqualFold(strings.TrimRight(op.URLTemplate, "/"), "/.well-known/oauth-protected-resource") {
			return policyDocPath(azure.PolicyDoc{Scope: azure.PolicyOperation, API: api.Name, Operation: op.Name})
		}
	}
	return ""
}
