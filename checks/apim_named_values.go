package checks

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/c7doctor/c7doctor/azure"
	"github.com/c7doctor/c7doctor/report"
)

// The named values of the guide (Part 3 Step 1).
const (
	nvTenantID      = "entra-tenant-id"
	nvGatewayAppID  = "apim-gateway-app-id"
	nvGatewaySecret = "apim-gateway-client-secret"
	nvMCPAPIAppID   = "mcp-api-app-id"
)

// guideNamedValues are the four, in the guide's order.
var guideNamedValues = []string{nvTenantID, nvGatewayAppID, nvGatewaySecret, nvMCPAPIAppID}

// runAPIMNamedValues judges the named values the OBO policy reads: all
// four present, the ids equal to what the run knows, the client secret
// marked secret, a Key Vault reference that still refreshes and, with
// --read-secrets, a secret that is the one c7doctor was given rather than
// the portal's Secret ID. Secret values are compared in memory only.
func runAPIMNamedValues(ctx context.Context, env *Env, r *Result) {
	snap := apimSnapshot(ctx, env, r, false)
	if snap == nil {
		return
	}
	if snap.NamedValuesErr != nil {
		partial(r, "the named values", snap.NamedValuesErr)
		if len(snap.NamedValues) == 0 {
			r.Skip("the named values could not be read")
			return
		}
	}
	var missing []string
	for _, name := range guideNamedValues {
		if _, ok := snap.FindNamedValue(name); !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		var cmds []string
		for _, m := range missing {
			cmds = append(cmds, NewCommandData(env.Config).expand(nvCreate+m+" --display-name "+m+" --value <value>"))
		}
		r.Find("apim-named-value-missing", fmt.Sprintf("Missing: %s.", strings.Join(missing, ", ")), WithCommands(cmds...))
		if slices.Contains(missing, nvGatewaySecret) {
			noteCause(r, namedValueKey(nvGatewaySecret))
		}
	}
	judgeIDs(env, r, snap)
	if nv, ok := snap.FindNamedValue(nvGatewaySecret); ok {
		judgeSecret(ctx, env, r, nv)
	}
	if !r.Failed() {
		r.Summary("the guide's four named values, the client secret kept secret")
	}
}

// judgeIDs compares the plain named values with the run's tenant and apps.
func judgeIDs(env *Env, r *Result, snap *azure.APIM) {
	want := map[string]string{
		nvTenantID:     cmp.Or(env.State.TenantGUID, env.Config.Tenant),
		nvGatewayAppID: env.Config.GatewayAppID,
		nvMCPAPIAppID:  env.Config.MCPAPIAppID,
	}
	var wrong []string
	for _, name := range []string{nvTenantID, nvGatewayAppID, nvMCPAPIAppID} {
		nv, ok := snap.FindNamedValue(name)
		if !ok {
			continue
		}
		r.Evidence(name, cmp.Or(nv.Value, "(secret)"))
		if w := want[name]; w != "" && !nv.Secret && !strings.EqualFold(strings.TrimSpace(nv.Value), w) {
			wrong = append(wrong, fmt.Sprintf("%s is %q, the run's is %s", name, nv.Value, w))
		}
	}
	if len(wrong) > 0 {
		r.Findf("apim-named-value-mismatch", "%s.", strings.Join(wrong, "; "))
	}
}

// judgeSecret judges the client secret's named value; a finding that is a
// cause of APIM's OBO exchange failing notes the named value as config_cause
// (the wire's findings name the same, see armCause).
func judgeSecret(ctx context.Context, env *Env, r *Result, nv azure.NamedValue) {
	kind := "secret"
	switch {
	case nv.KeyVault != nil:
		kind = "Key Vault reference " + nv.KeyVault.SecretID
	case !nv.Secret:
		kind = "plain value"
		r.Findf("apim-secret-not-secret", "%s is not marked secret.", nv.Name)
	}
	r.Evidence(nv.Name, kind)
	if kv := nv.KeyVault; kv != nil {
		last := kv.LastCode
		if !kv.LastRefresh.IsZero() {
			last += " at " + kv.LastRefresh.UTC().Format("2006-01-02 15:04 UTC")
		}
		r.Evidence("key_vault_last_refresh", last)
		if kv.RefreshFailed() {
			r.Findf("apim-keyvault-refresh-failed", "The last refresh of %s from %s ended %s: %s", nv.Name, kv.SecretID, kv.LastCode, cmp.Or(kv.LastMessage, "(no message)"))
			noteCause(r, namedValueKey(nv.Name))
		}
	}
	switch {
	case nv.SecretErr != nil:
		id, _ := readFailure(nv.SecretErr)
		if id == "arm-no-access" {
			r.Findf("apim-secret-not-read", "listValue on %s was refused: %s.", nv.Name, strings.TrimPrefix(nv.SecretErr.Error(), "azure: "))
		} else {
			partial(r, "the value of "+nv.Name, nv.SecretErr)
		}
	case !nv.SecretRead():
		r.Evidence("secret_value", "not read (--read-secrets reads it to compare, never to show)")
	case nv.SecretIsGUID():
		r.Findf("apim-secret-is-secret-id", "%s holds a GUID where the client secret's value belongs.", nv.Name)
		noteCause(r, namedValueKey(nv.Name))
	case nv.SecretEmpty():
		r.Findf("apim-named-value-missing", "%s is empty.", nv.Name)
		noteCause(r, namedValueKey(nv.Name))
	case notCurrent(ctx, env, r, nv):
	case env.Config.GatewaySecret == "":
		r.Evidence("secret_value", "read; no secret given to compare it with")
	case nv.SecretEquals(env.Config.GatewaySecret):
		r.Evidence("secret_value", "equals the secret c7doctor was given")
	default:
		r.Find("apim-secret-differs", fmt.Sprintf("%s holds another value than the secret c7doctor was given (neither is shown).", nv.Name), WithSeverity(report.Warning))
	}
}

// notCurrent reports (and finds) a secret read with --read-secrets that is
// none of the Gateway app's current secrets by Graph's hints; a secret that
// ended is entra-secret's finding.
func notCurrent(ctx context.Context, env *Env, r *Result, nv azure.NamedValue) bool {
	why, ended := staleSecret(ctx, env, nv)
	if why == "" || ended {
		return false
	}
	r.Find("apim-secret-not-current", sentence(strings.ToUpper(why[:1])+why[1:]))
	noteCause(r, namedValueKey(nv.Name))
	return true
}
