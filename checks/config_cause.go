package checks

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/c7doctor/c7doctor/azure"
)

// Correlation: a wire finding whose cause the APIM instance's configuration
// shows says so, naming the setting and the command that fixes it, instead
// of listing candidate causes. A wire check asks armCause with a topic; the
// answer waits for the configuration read that started with the run
// (bounded by the check's own context) and is empty when the run does not
// read ARM, the read failed, or the configuration shows nothing for it.
//
// Every cause has keys, one per setting ("diagnostic applicationinsights at
// api context7-mcp", "named value apim-gateway-client-secret"), which the
// wire check and the configuration check that judges the setting both
// record as the evidence config_cause: the two must name the same cause
// (a table test runs every lab fault and asserts it).
//
// Topics, and the wire findings that ask them:
//
//	topicResponseLogging  sse-truncated through the gateway: the MCP API's
//	                      effective diagnostics that log response bodies
//	                      (judged by apim-diagnostics)
//	topicGatewaySecret    a refused OBO exchange or a request APIM forwarded
//	                      without a token: the named value
//	                      apim-gateway-client-secret (judged by
//	                      apim-named-values, and by entra-secret for a
//	                      secret that ended)
//	topicRewrite          through the gateway Context7 reads the OBO token
//	                      as an API key (context7-call-refused,
//	                      gateway-rewrite-missing): the MCP API policy's
//	                      rewrite-uri (judged by apim-policies, as are the
//	                      policy topics below; policy_cause.go)
//	topicChallenge        a 401 without WWW-Authenticate: the MCP API
//	                      policy's on-error block
//	topicTokenValidation  an MCP endpoint that answers without a token
//	                      (mcp-api-open, challenge-from-context7): the
//	                      validate-azure-ad-token at the MCP API's scope
//	topicPRMPolicy        the PRM's placeholders or resource: the
//	                      return-response of the PRM operation's policy
//	topicOBOScope         AADSTS70011 in the OBO exchange: the scope the
//	                      OBO policy sends
//
// A new topic is a constant here, a case in armCause, and the same key
// (built by the same helper) noted by the configuration check's finding.
type armTopic int

const (
	topicResponseLogging armTopic = iota
	topicGatewaySecret
	topicRewrite
	topicChallenge
	topicTokenValidation
	topicPRMPolicy
	topicOBOScope
)

// evCause is the evidence key both sides of a correlated finding carry.
const evCause = "config_cause"

// configCause is what the configuration shows for a topic.
type configCause struct {
	Keys []string
	// Sentence is added to the wire finding's detail; it begins with a space.
	Sentence string
	// Commands fix it, filled with the run's ids.
	Commands []string
}

func (c configCause) found() bool { return len(c.Keys) > 0 }

// armCause is the cause the configuration shows for a topic, or nothing.
func armCause(ctx context.Context, env *Env, topic armTopic) configCause {
	snap := armSnapshotFor(ctx, env)
	if snap == nil {
		return configCause{}
	}
	switch topic {
	case topicResponseLogging:
		return responseLoggingCause(env, snap)
	case topicGatewaySecret:
		return gatewaySecretCause(ctx, env, snap)
	}
	if _, ok := policyTopics[topic]; ok {
		return policyCause(env, snap, topic)
	}
	return configCause{}
}

// armSnapshotFor waits for the read the run started, if it started: a wire
// check never starts one (a run that reads no configuration stays as fast).
func armSnapshotFor(ctx context.Context, env *Env) *azure.APIM {
	rd := &env.State.APIM
	if !rd.started || rd.done == nil {
		return nil
	}
	select {
	case <-rd.done:
	case <-ctx.Done():
		return nil
	}
	if rd.err != nil {
		return nil
	}
	return rd.snap
}

// findCaused adds a wire finding with the cause the configuration shows,
// if it shows one, and notes the cause's keys.
func findCaused(r *Result, id, detail string, c configCause, opts ...FindingOption) {
	if c.found() {
		detail += c.Sentence
		opts = append(opts, WithCommands(c.Commands...))
		noteCause(r, c.Keys...)
	}
	r.Find(id, detail, opts...)
}

// noteCause records cause keys in the check's evidence config_cause
// (several are joined with "; ").
func noteCause(r *Result, keys ...string) {
	var all []string
	for _, f := range r.evidence {
		if f.Key == evCause {
			all = strings.Split(f.Value, "; ")
		}
	}
	for _, k := range keys {
		if !slices.Contains(all, k) {
			all = append(all, k)
		}
	}
	if len(all) > 0 {
		r.Evidence(evCause, strings.Join(all, "; "))
	}
}

// causeKeys splits a config_cause value into its keys.
func causeKeys(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, "; ")
}

// diagnosticKey names a diagnostic at its level.
func diagnosticKey(d azure.Diagnostic) string {
	return "diagnostic " + d.Name + " at " + diagnosticLevel(d)
}

// diagnosticLevel is "service" or "api <id>".
func diagnosticLevel(d azure.Diagnostic) string {
	if d.Scope == azure.DiagnosticAPI {
		return "api " + d.API
	}
	return "service"
}

// namedValueKey names a named value.
func namedValueKey(name string) string { return "named value " + name }

// guideMCPAPI is the MCP API's id in the guide (Part 3 Step 2).
const guideMCPAPI = "context7-mcp"

// mcpAPIID is the MCP API's id in the instance: the API at --api-path, else
// the guide's.
func mcpAPIID(env *Env, snap *azure.APIM) string {
	if api, ok := snap.FindAPI(env.Config.APIPath); ok && api.Name != "" {
		return api.Name
	}
	return guideMCPAPI
}

// bufferingDiagnostics are the diagnostics that apply to the MCP API and
// log response bodies.
func bufferingDiagnostics(env *Env, snap *azure.APIM) []azure.Diagnostic {
	var out []azure.Diagnostic
	for _, d := range snap.Diagnostics.Effective(mcpAPIID(env, snap)) {
		if d.BuffersResponses() {
			out = append(out, d)
		}
	}
	return out
}

// describeDiagnostic is "applicationinsights (API level, context7-mcp; logger
// appinsights-lab) logs 8192 bytes of frontend response body".
func describeDiagnostic(d azure.Diagnostic) string {
	level := "service level"
	if d.Scope == azure.DiagnosticAPI {
		level = "API level, " + d.API
	}
	var logs []string
	if d.FrontendResponseBodyBytes > 0 {
		logs = append(logs, fmt.Sprintf("%d bytes of frontend response body", d.FrontendResponseBodyBytes))
	}
	if d.BackendResponseBodyBytes > 0 {
		logs = append(logs, fmt.Sprintf("%d bytes of backend response body", d.BackendResponseBodyBytes))
	}
	return fmt.Sprintf("%s (%s; logger %s) logs %s", d.Name, level, cmp.Or(loggerName(d.LoggerID), "none"), strings.Join(logs, " and "))
}

// loggerName is the last segment of a logger's resource id.
func loggerName(id string) string {
	if i := strings.LastIndex(strings.TrimRight(id, "/"), "/"); i >= 0 {
		return strings.TrimRight(id, "/")[i+1:]
	}
	return id
}

// zeroDiagnosticsAt is the command that zeroes response body logging at the
// diagnostic's own level.
func zeroDiagnosticsAt(env *Env, d azure.Diagnostic) string {
	scope := mgmtService
	if d.Scope == azure.DiagnosticAPI {
		scope += "/apis/" + d.API
	}
	return NewCommandData(env.Config).expand(zeroBodyLogging(scope))
}

func responseLoggingCause(env *Env, snap *azure.APIM) configCause {
	var c configCause
	var said []string
	for _, d := range bufferingDiagnostics(env, snap) {
		c.Keys = append(c.Keys, diagnosticKey(d))
		said = append(said, describeDiagnostic(d))
		if cmd := zeroDiagnosticsAt(env, d); !slices.Contains(c.Commands, cmd) {
			c.Commands = append(c.Commands, cmd)
		}
	}
	if c.found() {
		c.Sentence = fmt.Sprintf(" ARM shows the cause: the diagnostic %s for the MCP API, so APIM buffers the event stream (apim-diagnostics).", strings.Join(said, "; the diagnostic "))
	}
	return c
}

// gatewaySecretCause is what the named value APIM's OBO exchange sends
// shows: missing, a Key Vault refresh that failed, the Secret ID instead of
// the value, empty, or (read with --read-secrets, compared with Graph's
// hints) none of the Gateway app's current secrets.
func gatewaySecretCause(ctx context.Context, env *Env, snap *azure.APIM) configCause {
	key := namedValueKey(nvGatewaySecret)
	if snap.NamedValuesErr != nil && len(snap.NamedValues) == 0 {
		return configCause{}
	}
	nv, ok := snap.FindNamedValue(nvGatewaySecret)
	var why, entry string
	switch {
	case !ok:
		why, entry = "the named value "+nvGatewaySecret+" does not exist, so APIM's policy has no secret to send", "apim-named-value-missing"
	case nv.KeyVault.RefreshFailed():
		why, entry = fmt.Sprintf("the last refresh of the named value %s from Key Vault ended %s (%s)", nv.Name, nv.KeyVault.LastCode, cmp.Or(excerpt([]byte(nv.KeyVault.LastMessage), 160), "no message")), "apim-keyvault-refresh-failed"
	case nv.SecretIsGUID():
		why, entry = "the named value "+nv.Name+" holds a GUID, the portal's Secret ID, where the secret's Value belongs", "apim-secret-is-secret-id"
	case nv.SecretEmpty():
		why, entry = "the named value "+nv.Name+" is empty", "apim-named-value-missing"
	default:
		if s, ended := staleSecret(ctx, env, nv); s != "" {
			why, entry = s, "apim-secret-not-current"
			if ended {
				entry = "entra-secret-expired"
			}
		}
	}
	if why == "" {
		return configCause{}
	}
	d := NewCommandData(env.Config)
	graphCommandData(env, &d)
	var cmds []string
	for _, s := range Catalog()[entry].Commands {
		cmds = append(cmds, d.expand(s))
	}
	if entry == "apim-named-value-missing" {
		cmds = []string{d.expand(nvCreate + nvGatewaySecret + " --display-name " + nvGatewaySecret + " --value \"$GATEWAY_SECRET\" --secret true")}
	}
	return configCause{
		Keys:     []string{key},
		Sentence: " ARM shows the cause: " + why + "; APIM's OBO exchange fails with it and the policy forwards an empty bearer token.",
		Commands: cmds,
	}
}

// staleSecret says, for a secret read with --read-secrets, that it is none
// of the Gateway app's current secrets by Graph's hints (ended: it is one
// that ended); "" when it is current or nothing can tell.
func staleSecret(ctx context.Context, env *Env, nv azure.NamedValue) (why string, ended bool) {
	if !nv.SecretRead() || graphUnavailable(env) != "" {
		return "", false
	}
	apps, err := graphApps(ctx, env)
	if err != nil || apps == nil || apps.Gateway == nil {
		return "", false
	}
	now := env.Now()
	hinted := 0
	var gone *azure.PasswordCredential
	for i, c := range apps.Gateway.PasswordCredentials {
		if c.Hint == "" {
			continue
		}
		hinted++
		if !nv.SecretHasHint(c.Hint) {
			continue
		}
		if c.EndDateTime == nil || c.EndDateTime.After(now) {
			return "", false
		}
		gone = &apps.Gateway.PasswordCredentials[i]
	}
	switch {
	case gone != nil:
		return fmt.Sprintf("the named value %s holds the secret %s, which ended on %s", nv.Name, secretName(*gone), gone.EndDateTime.UTC().Format("2006-01-02")), true
	case hinted > 0:
		return fmt.Sprintf("the named value %s starts like none of the APIM Gateway app's current secrets (Graph's hints of %d)", nv.Name, hinted), false
	}
	return "", false
}
