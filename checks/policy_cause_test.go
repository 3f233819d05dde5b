package checks

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/c7doctor/c7doctor/azure"
)

// guideSnapshotWith is the guide's instance with one document edited.
func guideSnapshotWith(t *testing.T, api, operation string, oldNew ...string) *azure.APIM {
	t.Helper()
	snap := treeSnapshot(t, "../testdata/policy/guide")
	snap.APIs[1].Operations = []azure.Operation{{Name: "prm-metadata", Method: "GET", URLTemplate: "/.well-known/oauth-protected-resource"}}
	for i, d := range snap.Policies.Docs {
		if d.API != api || d.Operation != operation {
			continue
		}
		for j := 0; j < len(oldNew); j += 2 {
			if !strings.Contains(snap.Policies.Docs[i].XML, oldNew[j]) {
				t.Fatalf("%s %s: %q not found", api, operation, oldNew[j])
			}
			snap.Policies.Docs[i].XML = strings.Replace(snap.Policies.Docs[i].XML, oldNew[j], oldNew[j+1], 1)
		}
	}
	return snap
}

// Each policy topic names its setting where the guide puts it, with the
// commands for that document; the guide's own policies show none, and
// the configuration check notes the same key as the wire finding.
func TestPolicyCauses(t *testing.T) {
	cases := []struct {
		name          string
		api, op       string
		edits         []string
		topic         armTopic
		key, sentence string
	}{
		{"rewrite", "context7-mcp", "", []string{`<rewrite-uri template="/mcp/oauth" />`, ""}, topicRewrite,
			"policy rewrite-uri at api context7-mcp", "no rewrite-uri"},
		{"on-error", "context7-mcp", "", []string{`<set-header name="WWW-Authenticate"`, `<set-header name="X-Other"`}, topicChallenge,
			"policy on-error WWW-Authenticate at api context7-mcp", "on-error sets no WWW-Authenticate"},
		{"token validation", "context7-mcp", "", []string{"<validate-azure-ad-token", "<!-- <validate-azure-ad-token", "</validate-azure-ad-token>", "</validate-azure-ad-token> -->"}, topicTokenValidation,
			"policy validate-azure-ad-token at api context7-mcp", "no validate-azure-ad-token"},
		{"PRM placeholder", "oauth-proxy", "prm-metadata", []string{`"https://apim-contoso.azure-api.net/context7"`, `"https://&lt;your-apim-host&gt;/context7"`}, topicPRMPolicy,
			"policy PRM return-response at operation oauth-proxy/prm-metadata", "template placeholder <your-apim-host>"},
		{"OBO scope", "context7-mcp", "", []string{`"/.default"`, `".default"`}, topicOBOScope,
			"policy OBO scope at api context7-mcp", "not of the form api://<mcp-api-app-id>/.default"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			snap := guideSnapshotWith(t, tc.api, tc.op, tc.edits...)
			env := envWithSnapshot(snap, nil, true)
			c := armCause(context.Background(), env, tc.topic)
			if !slices.Equal(c.Keys, []string{tc.key}) || !strings.Contains(c.Sentence, tc.sentence) || !strings.Contains(c.Sentence, "ARM shows the cause") {
				t.Fatalf("keys %q sentence %q", c.Keys, c.Sentence)
			}
			if len(c.Commands) != 2 || !strings.Contains(c.Commands[1], "az rest --method put") {
				t.Errorf("commands %q", c.Commands)
			}
			for _, cmd := range c.Commands {
				assertAzCommand(t, cmd)
			}
			for other := range policyTopics {
				if other != tc.topic && armCause(context.Background(), env, other).found() {
					t.Errorf("topic %d also shows a cause", other)
				}
			}
			rep := Run(context.Background(), envWithSnapshotRun(t, snap), All, Selection{Only: []string{"apim-policies"}})
			c7, _ := rep.Find("apim-policies")
			if v, _ := c7.Evidence.Get(evCause); v != tc.key {
				t.Errorf("apim-policies notes %q, want %q", v, tc.key)
			}
		})
	}
	guide := treeSnapshot(t, "../testdata/policy/guide")
	for topic := range policyTopics {
		if c := armCause(context.Background(), envWithSnapshot(guide, nil, true), topic); c.found() {
			t.Errorf("the guide's policies show topic %d: %+v", topic, c)
		}
	}
}

// envWithSnapshotRun is a run of the checks on a snapshot.
func envWithSnapshotRun(t *testing.T, snap *azure.APIM) *Env {
	env := testEnv(t)
	env.Config.Gateway, env.Config.APIPath = "https://apim-contoso.azure-api.net", "context7"
	env.Config.Subscription, env.Config.ResourceGroup, env.Config.APIMName = realIDs.Subscription, realIDs.ResourceGroup, realIDs.APIMName
	env.ARM = snapshotReader{snap: snap}
	return env
}
