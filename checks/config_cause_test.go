package checks

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/c7doctor/c7doctor/azure"
)

// envWithSnapshot is a run whose configuration read has finished with snap
// (or err); done=false leaves it still running.
func envWithSnapshot(snap *azure.APIM, err error, done bool) *Env {
	env := &Env{
		Config: &Config{APIPath: "context7", Subscription: realIDs.Subscription, ResourceGroup: realIDs.ResourceGroup, APIMName: realIDs.APIMName},
		State:  &State{}, Now: time.Now,
	}
	rd := &env.State.APIM
	rd.started, rd.done, rd.snap, rd.err = true, make(chan struct{}), snap, err
	if done {
		close(rd.done)
	}
	return env
}

func diagSnapshot(settings ...azure.Diagnostic) *azure.APIM {
	return &azure.APIM{
		APIs:        []azure.API{{Name: "context7-mcp", Path: "context7", IsCurrent: true}},
		Diagnostics: azure.Diagnostics{Settings: settings},
	}
}

const appInsights = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/a/loggers/appinsights-prod"

func TestResponseLoggingCause(t *testing.T) {
	svc := func(name string, front, back int32) azure.Diagnostic {
		return azure.Diagnostic{Scope: azure.DiagnosticService, Name: name, LoggerID: appInsights, FrontendResponseBodyBytes: front, BackendResponseBodyBytes: back}
	}
	api := func(name string, front, back int32) azure.Diagnostic {
		d := svc(name, front, back)
		d.Scope, d.API = azure.DiagnosticAPI, "context7-mcp"
		return d
	}
	cases := []struct {
		name     string
		settings []azure.Diagnostic
		keys     []string
		scopes   []string // the levels the commands zero
		words    []string
	}{
		{name: "none", settings: nil},
		{name: "service level logs the frontend response", settings: []azure.Diagnostic{svc("applicationinsights", 8192, 0)},
			keys: []string{"diagnostic applicationinsights at service"}, scopes: []string{"/service/" + realIDs.APIMName + "/diagnostics?"},
			words: []string{"applicationinsights", "service level", "appinsights-prod", "8192 bytes of frontend response body"}},
		{name: "API level overrides a clean service level", settings: []azure.Diagnostic{svc("applicationinsights", 0, 0), api("applicationinsights", 0, 4096)},
			keys: []string{"diagnostic applicationinsights at api context7-mcp"}, scopes: []string{"/apis/context7-mcp/diagnostics?"},
			words: []string{"API level, context7-mcp", "4096 bytes of backend response body"}},
		{name: "a clean API level overrides the service level", settings: []azure.Diagnostic{svc("applicationinsights", 8192, 8192), api("applicationinsights", 0, 0)}},
		{name: "request bodies do not cut the stream", settings: []azure.Diagnostic{{Scope: azure.DiagnosticService, Name: "azuremonitor", FrontendRequestBodyBytes: 8192, BackendRequestBodyBytes: 8192}}},
		{name: "another API's diagnostic does not apply", settings: []azure.Diagnostic{{Scope: azure.DiagnosticAPI, API: "oauth-proxy", Name: "applicationinsights", FrontendResponseBodyBytes: 8192}}},
		{name: "two diagnostics at two levels", settings: []azure.Diagnostic{svc("azuremonitor", 1024, 0), api("applicationinsights", 8192, 0)},
			keys:   []string{"diagnostic applicationinsights at api context7-mcp", "diagnostic azuremonitor at service"},
			scopes: []string{"/apis/context7-mcp/diagnostics?", "/service/" + realIDs.APIMName + "/diagnostics?"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := envWithSnapshot(diagSnapshot(tc.settings...), nil, true)
			c := armCause(context.Background(), env, topicResponseLogging)
			if !slices.Equal(c.Keys, tc.keys) {
				t.Fatalf("keys %q, want %q", c.Keys, tc.keys)
			}
			if !c.found() {
				if c.Sentence != "" || len(c.Commands) != 0 {
					t.Errorf("no cause, yet %q %q", c.Sentence, c.Commands)
				}
				return
			}
			for _, w := range tc.words {
				if !strings.Contains(c.Sentence, w) {
					t.Errorf("the sentence does not say %q: %s", w, c.Sentence)
				}
			}
			if len(c.Commands) != len(tc.scopes) {
				t.Fatalf("commands %q, want one per level %q", c.Commands, tc.scopes)
			}
			for i, cmd := range c.Commands {
				if !strings.Contains(cmd, tc.scopes[i]) || strings.Contains(cmd, "{{") {
					t.Errorf("command %d does not zero %s, filled: %q", i, tc.scopes[i], cmd)
				}
				assertAzCommand(t, cmd)
			}
		})
	}
}

func TestGatewaySecretCause(t *testing.T) {
	kv := func(code string) *azure.APIM {
		return &azure.APIM{NamedValues: []azure.NamedValue{{Name: nvGatewaySecret, Secret: true, KeyVault: &azure.KeyVault{SecretID: "https://kv.vault.azure.net/secrets/s", LastCode: code, LastMessage: "no secrets get permission"}}}}
	}
	c := armCause(context.Background(), envWithSnapshot(kv("Forbidden"), nil, true), topicGatewaySecret)
	if !slices.Equal(c.Keys, []string{"named value apim-gateway-client-secret"}) || !strings.Contains(c.Sentence, "Forbidden") || len(c.Commands) == 0 {
		t.Errorf("Key Vault refresh failed: %+v", c)
	}
	for _, cmd := range c.Commands {
		assertAzCommand(t, cmd)
	}
	if c := armCause(context.Background(), envWithSnapshot(kv("Success"), nil, true), topicGatewaySecret); c.found() {
		t.Errorf("a refresh that succeeded is no cause: %+v", c)
	}
	c = armCause(context.Background(), envWithSnapshot(&azure.APIM{NamedValues: []azure.NamedValue{{Name: nvTenantID}}}, nil, true), topicGatewaySecret)
	if !c.found() || !strings.Contains(c.Sentence, "does not exist") || !strings.Contains(strings.Join(c.Commands, " "), "nv create") {
		t.Errorf("missing named value: %+v", c)
	}
	for _, cmd := range c.Commands {
		assertAzCommand(t, cmd)
	}
	unread := &azure.APIM{NamedValuesErr: errors.New("azure: 403")}
	if c := armCause(context.Background(), envWithSnapshot(unread, nil, true), topicGatewaySecret); c.found() {
		t.Errorf("named values that could not be read show no cause: %+v", c)
	}
}

// Without a read, with a failed read, or while the read outlasts the
// check, a wire finding gets no cause, and the wait ends with the check.
func TestNoCauseWithoutARead(t *testing.T) {
	logging := diagSnapshot(azure.Diagnostic{Scope: azure.DiagnosticService, Name: "applicationinsights", FrontendResponseBodyBytes: 8192})
	if c := armCause(context.Background(), &Env{Config: &Config{}, State: &State{}}, topicResponseLogging); c.found() {
		t.Errorf("no read started: %+v", c)
	}
	if c := armCause(context.Background(), envWithSnapshot(logging, errors.New("azure: no access"), true), topicResponseLogging); c.found() {
		t.Errorf("failed read: %+v", c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	done := make(chan configCause, 1)
	go func() { done <- armCause(ctx, envWithSnapshot(logging, nil, false), topicResponseLogging) }()
	select {
	case c := <-done:
		if c.found() {
			t.Errorf("an unfinished read: %+v", c)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("armCause outlived the check's context")
	}
}

// Both sides of a correlation record the same keys, joined once each.
func TestNoteCauseJoinsKeysOnce(t *testing.T) {
	r := &Result{env: &Env{Config: &Config{}, State: &State{}}}
	noteCause(r, "diagnostic a at service")
	noteCause(r, "diagnostic b at api context7-mcp", "diagnostic a at service")
	v, _ := r.evidence.Get(evCause)
	if got := causeKeys(v); !slices.Equal(got, []string{"diagnostic a at service", "diagnostic b at api context7-mcp"}) {
		t.Errorf("config_cause %q", v)
	}
}

// assertAzCommand fails on a command line that does not parse or uses an
// az subcommand or flag az does not have.
func assertAzCommand(t *testing.T, line string) {
	t.Helper()
	cmds, err := shellCommands(line)
	if err != nil {
		t.Errorf("%v in %q", err, line)
		return
	}
	for _, cmd := range cmds {
		if cmd[0].text == "az" {
			if msg := checkAz(cmd[1:]); msg != "" {
				t.Errorf("%s in %q", msg, line)
			}
		}
	}
}
