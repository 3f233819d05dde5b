package checks

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/c7doctor/c7doctor/lab"
	"github.com/c7doctor/c7doctor/report"
)

// faultCause is a lab fault that the configuration shows: the wire check
// whose finding names the cause (none when the wire does not show the
// fault), the configuration check whose finding judges the same setting,
// and the cause key both record as evidence config_cause.
type faultCause struct {
	wire   []string // wire checks carrying the key; empty: the wire shows nothing
	config string
	key    string
}

// faultCauses lists every lab fault with a configuration face. A fault not
// listed must leave no config_cause anywhere in its report.
//
// The policy faults name a statement of a policy document (apim-policies).
var faultCauses = map[string]faultCause{
	// The MCP API has no policy of its own: nothing validates the caller's token.
	"mcp-policy-missing": {wire: []string{"challenge"}, config: "apim-policies", key: "policy validate-azure-ad-token at api context7-mcp"},
	// The MCP API's policy has no rewrite-uri: the OBO token reaches Context7's open /mcp.
	"rewrite-missing": {wire: []string{"mcp-tools", "upstream"}, config: "apim-policies", key: "policy rewrite-uri at api context7-mcp"},
	// The on-error block sets no WWW-Authenticate on a 401.
	"no-www-authenticate": {wire: []string{"challenge"}, config: "apim-policies", key: "policy on-error WWW-Authenticate at api context7-mcp"},
	// The PRM operation's return-response: placeholders left, another host as resource.
	"prm-placeholder":    {wire: []string{"prm"}, config: "apim-policies", key: "policy PRM return-response at operation oauth-proxy/prm-metadata"},
	"prm-wrong-resource": {wire: []string{"prm"}, config: "apim-policies", key: "policy PRM return-response at operation oauth-proxy/prm-metadata"},
	// The OBO policy's scope lost its slash: Entra refuses APIM's exchange (and c7doctor's, in the lab).
	"obo-invalid-scope": {wire: []string{"obo", "mcp-tools"}, config: "apim-policies", key: "policy OBO scope at api context7-mcp"},
	// sse-truncated: a service-level diagnostic logs response bodies.
	"sse-truncated": {wire: []string{"mcp-initialize"}, config: "apim-diagnostics", key: "diagnostic applicationinsights at service"},
	// diagnostics-body-logging: the MCP API's own diagnostic does.
	"diagnostics-body-logging": {wire: []string{"mcp-initialize"}, config: "apim-diagnostics", key: "diagnostic applicationinsights at api context7-mcp"},
	// The Secret ID in the named value: c7doctor's exchange works, APIM's does not.
	"named-value-secret-id": {wire: []string{"mcp-tools"}, config: "apim-named-values", key: "named value apim-gateway-client-secret"},
	// The secret the named value holds has ended (read with --read-secrets, told by Graph's hint).
	"secret-expired": {wire: []string{"obo", "mcp-tools"}, config: "entra-secret", key: "named value apim-gateway-client-secret"},
	// The Gateway app does not trust APIM's managed identity: the gateway's exchange fails, c7doctor's with the secret works.
	"federated-credential-missing": {wire: []string{"mcp-initialize"}, config: "entra-gateway-app", key: federatedKey},
	// The gateway still serves the old value: only the configuration shows it.
	"keyvault-refresh-failed": {config: "apim-named-values", key: "named value apim-gateway-client-secret"},
}

// configSide reports a check that judges the configuration (ARM or Graph).
func configSide(id string) bool {
	return strings.HasPrefix(id, "apim-") || strings.HasPrefix(id, "entra-")
}

// faultRuns runs each lab fault once (as `run --lab` does, configuration
// reading on) for every test that asks: the lab is started per fault.
var faultRuns sync.Map // fault name ("" healthy) → *faultRun

type faultRun struct {
	once sync.Once
	rep  *report.Report
}

func faultReport(t *testing.T, fault string) *report.Report {
	t.Helper()
	v, _ := faultRuns.LoadOrStore(fault, &faultRun{})
	fr := v.(*faultRun)
	fr.once.Do(func() {
		var faults []string
		if fault != "" {
			faults = []string{fault}
		}
		fr.rep = runLab(t, Selection{}, nil, faults...).Report
	})
	if fr.rep == nil {
		t.Fatalf("the run of %q failed in another test", fault)
	}
	return fr.rep
}

// Under every lab fault, a wire finding whose cause the configuration shows
// and the configuration check's finding name the same cause; a fault the
// configuration does not show, and the healthy lab, name none. Every
// command the run renders is a real az command line.
func TestFaultCorrelation(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the lab once per fault")
	}
	names := []string{""}
	for _, f := range lab.Faults() {
		names = append(names, f.Name)
	}
	for name := range faultCauses {
		if !slices.Contains(names, name) {
			t.Errorf("faultCauses lists %q, which is not a lab fault", name)
		}
	}
	for _, name := range names {
		t.Run(cmp.Or(name, "healthy"), func(t *testing.T) {
			t.Parallel()
			rep := faultReport(t, name)
			want, shown := faultCauses[name]
			carriers := map[string][]string{} // check → its keys
			for _, c := range rep.Checks {
				if v, ok := c.Evidence.Get(evCause); ok {
					carriers[c.ID] = causeKeys(v)
				}
				for _, f := range c.Findings {
					for i, cmd := range f.Commands {
						assertAzCommand(t, cmd)
						if slices.Contains(f.Commands[:i], cmd) {
							t.Errorf("%s [%s] gives the same command twice: %s", c.ID, f.ID, cmd)
						}
					}
				}
			}
			if !shown {
				for id, keys := range carriers {
					t.Errorf("%s names a configuration cause %q, but the configuration does not show this fault (or faultCauses lacks its row)", id, keys)
				}
				return
			}
			config, _ := rep.Find(want.config)
			if !slices.Contains(carriers[want.config], want.key) {
				t.Errorf("config check %s (%s, %v) does not name %q; config_cause %q", want.config, config.Status, findingIDs(rep, want.config), want.key, carriers[want.config])
			}
			if config.Status != report.Fail && config.Status != report.Warn {
				t.Errorf("config check %s is %s: the finding that names the cause is missing", want.config, config.Status)
			}
			for _, id := range want.wire {
				c, _ := rep.Find(id)
				if !slices.Contains(carriers[id], want.key) {
					t.Errorf("wire check %s (%s, %v) does not name %q; config_cause %q", id, c.Status, findingIDs(rep, id), want.key, carriers[id])
				}
				if c.Status != report.Fail {
					t.Errorf("wire check %s is %s", id, c.Status)
					continue
				}
				// The finding that names the cause says the setting's name.
				setting := want.key
				for _, kind := range []string{"named value ", "diagnostic ", "policy "} {
					setting = strings.TrimPrefix(setting, kind)
				}
				setting, _, _ = strings.Cut(setting, " at ")
				if !slices.ContainsFunc(c.Findings, func(f report.Finding) bool {
					return f.Severity == report.Error && strings.Contains(f.Detail, "ARM shows the cause") && strings.Contains(f.Detail, setting)
				}) {
					t.Errorf("no error finding of %s names %s: %v", id, setting, findingIDs(rep, id))
				}
			}
			// No check names a cause the configuration check does not.
			for id, keys := range carriers {
				for _, k := range keys {
					if k != want.key {
						t.Errorf("%s names %q, not the fault's cause %q", id, k, want.key)
					}
				}
				if !configSide(id) && !slices.Contains(want.wire, id) {
					t.Errorf("wire check %s names the cause, but the table does not expect it there", id)
				}
			}
		})
	}
}

// Without the configuration, a refused key under named-value-secret-id
// still lists the named value among its causes (the wire alone cannot
// tell it from an unprovisioned user or a missing rewrite-uri); with it,
// and the named value clean, that cause is left out.
func TestRefusedKeyListsTheSecretOnlyWhenUnread(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the lab")
	}
	var config []string
	for _, c := range All {
		if strings.HasPrefix(c.ID, "apim-") {
			config = append(config, c.ID)
		}
	}
	run := runLab(t, Selection{Skip: config}, nil, "named-value-secret-id")
	c, _ := run.Report.Find("mcp-tools")
	if len(c.Findings) == 0 || c.Findings[0].ID != "context7-call-refused" || !strings.Contains(c.Findings[0].Detail, "apim-gateway-client-secret") {
		t.Errorf("without the configuration: %+v", c.Findings)
	}
	if c, _ := run.Report.Find("upstream"); len(c.Findings) == 0 || !strings.Contains(c.Findings[0].Detail, "apim-gateway-client-secret") {
		t.Errorf("without the configuration, upstream decides for rewrite-uri alone: %+v", c.Findings)
	}
	rep := faultReport(t, "c7-user-not-provisioned")
	c, _ = rep.Find("mcp-tools")
	if len(c.Findings) == 0 || strings.Contains(c.Findings[0].Detail, "apim-gateway-client-secret") {
		t.Errorf("the configuration shows a clean named value, yet: %+v", c.Findings)
	}
}
