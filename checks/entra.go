package checks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/c7doctor/c7doctor/azure"
	"github.com/c7doctor/c7doctor/report"
)

// GraphReader reads the guide's app registrations from Microsoft Graph;
// *azure.Graph is one.
type GraphReader interface {
	ReadApps(ctx context.Context, q azure.Query) (*azure.Apps, error)
	Endpoint() string
}

// GraphState is what Microsoft Graph said about the guide's app
// registrations: read once per run, by the first check that asks, and
// shared by the entra-* checks and the wire checks whose findings it explains.
type GraphState struct {
	once sync.Once
	Apps *azure.Apps
	Err  error
	// reported is set once a check has said why Graph could not be read,
	// so that the others point at it instead of repeating it.
	reported string
}

// graphApps reads the app registrations, or returns what the first read got.
func graphApps(ctx context.Context, env *Env) (*azure.Apps, error) {
	st := &env.State.Graph
	st.once.Do(func() {
		if why := graphUnavailable(env); why != "" {
			st.Err = errGraphUnavailable
			return
		}
		q := azure.Query{GatewayAppID: env.Config.GatewayAppID, MCPAPIAppID: env.Config.MCPAPIAppID}
		if tok := env.State.Token.Decoded; tok != nil {
			q.UserOID = tok.Claims.Oid
		}
		st.Apps, st.Err = env.Graph.ReadApps(ctx, q)
		if st.Apps != nil {
			env.State.GraphRoundTrips = st.Apps.RoundTrips
		}
	})
	return st.Apps, st.Err
}

var errGraphUnavailable = errors.New("graph: not configured")

// graphUnavailable says why Graph cannot be read in this run, or "".
func graphUnavailable(env *Env) string {
	switch {
	case env.Graph == nil:
		return "Microsoft Graph is not read in this run"
	case env.Config.GatewayAppID == "":
		return "needs the gateway app id: set --gateway-app-id"
	}
	return ""
}

func needGraph(env *Env) string { return graphUnavailable(env) }

// graphRead gets the snapshot for a check, or settles the check: a read
// refused for lack of permission skips it with one info finding naming the
// permission (said once per run), a missing credential likewise, anything
// else skips it with a warning that says what came back.
func graphRead(ctx context.Context, env *Env, r *Result, id string) *azure.Apps {
	apps, err := graphApps(ctx, env)
	st := &env.State.Graph
	var ge *azure.GraphError
	var ce *azure.CredentialError
	switch {
	case err == nil && !apps.Forbidden():
		return apps
	case st.reported != "":
		r.Skip(fmt.Sprintf("Microsoft Graph could not be read (see %s)", st.reported))
		return nil
	case err == nil, errors.As(err, &ge) && ge.Forbidden():
		detail := "Microsoft Graph refused to read the app registrations"
		if err != nil {
			detail += ": " + err.Error()
		} else {
			detail += ": " + apps.Errors[apps.ErrorNames()[0]].Error()
		}
		r.Find("entra-forbidden", sentence(detail))
		r.Skip("no read access to the app registrations in Microsoft Graph")
	case errors.As(err, &ce):
		r.Find("entra-no-credential", sentence("No token for Microsoft Graph: "+ce.Err.Error()))
		r.Skip("no Azure sign-in for Microsoft Graph")
	default:
		r.Find("entra-graph-unreadable", sentence(fmt.Sprintf("Reading the app registrations from %s failed: %v", env.Graph.Endpoint(), err)))
		r.Skip("Microsoft Graph could not be read")
	}
	st.reported = id
	return nil
}

// readFailed reports a single read's failure on a check and skips it.
func readFailed(r *Result, apps *azure.Apps, reads ...string) bool {
	for _, name := range reads {
		if e, ok := apps.Errors[name]; ok {
			r.Find("entra-graph-unreadable", sentence(fmt.Sprintf("Microsoft Graph did not answer the read of the %s: %v", name, e)))
			r.Skip("the " + name + " could not be read from Microsoft Graph")
			return true
		}
	}
	return false
}

// graphCause is the sentence a wire finding adds when Graph shows its
// cause, or "" when Graph cannot be read or shows nothing for it. It only
// uses a read the run already made or can make now.
func graphCause(ctx context.Context, env *Env, topic graphTopic) string {
	if graphUnavailable(env) != "" {
		return ""
	}
	apps, err := graphApps(ctx, env)
	if err != nil || apps == nil {
		return ""
	}
	cfg := env.Config
	switch topic {
	case causeGatewayV1:
		if a := apps.Gateway; a != nil && a.TokenVersion() != 2 {
			return " Microsoft Graph confirms it: the APIM Gateway app has api.requestedAccessTokenVersion " + versionText(a) + "."
		}
	case causeMCPAPIV1:
		if a := apps.MCPAPI; a != nil && a.TokenVersion() != 2 {
			return " Microsoft Graph confirms it: the Context7 MCP API app has api.requestedAccessTokenVersion " + versionText(a) + "."
		}
	case causeConsent:
		if apps.Gateway != nil && apps.MCPAPI != nil {
			if s, ok := apps.MCPAPI.Scope("mcp.access"); ok && !apps.Gateway.Requires(apps.MCPAPI.AppID, s.ID) {
				return " Microsoft Graph shows why: the APIM Gateway app's requiredResourceAccess does not list the MCP API's mcp.access."
			}
		}
		if _, ok := apps.AdminConsent(); !ok && apps.GatewaySP != nil && apps.MCPAPISP != nil {
			return " Microsoft Graph shows why: there is no admin consent (oauth2PermissionGrant with consentType AllPrincipals) from the gateway's service principal to the MCP API's."
		}
	case causeMCPAPISP:
		if apps.MCPAPISP == nil && apps.Errors[azure.ReadMCPAPISP] == nil {
			if apps.MCPAPI != nil {
				return " Microsoft Graph confirms it: the Context7 MCP API app (" + cfg.MCPAPIAppID + ") is registered but has no service principal in this tenant."
			}
			return " Microsoft Graph confirms it: no application and no service principal has app id " + cfg.MCPAPIAppID + " in this tenant."
		}
	case causeSecretExpired:
		if sec, how := usedSecret(env, apps); sec != nil && sec.EndDateTime != nil && !sec.EndDateTime.After(env.Now()) {
			return fmt.Sprintf(" Microsoft Graph confirms it: the secret %s (%s) ended on %s.", secretName(*sec), how, sec.EndDateTime.UTC().Format("2006-01-02"))
		}
	case causeClientPreauth:
		if a := apps.Gateway; a != nil {
			if s, ok := a.Scope("Mcp.Gateway.Access"); ok && !a.PreAuthorizes(runClientID(cfg), s.ID) {
				return " Microsoft Graph confirms it: client " + runClientID(cfg) + " is not among the APIM Gateway app's authorized client applications for Mcp.Gateway.Access."
			}
		}
	}
	return ""
}

// graphTopic is a wire finding whose cause Graph may show.
type graphTopic int

const (
	causeGatewayV1 graphTopic = iota
	causeMCPAPIV1
	causeConsent
	causeMCPAPISP
	causeSecretExpired
	causeClientPreauth
)

func versionText(a *azure.Application) string {
	if v := a.API.RequestedAccessTokenVersion; v != nil {
		return fmt.Sprint(*v)
	}
	return "null"
}

func runClientID(cfg *Config) string {
	if cfg.ClientID == "" {
		return AzureCLIClientID
	}
	return cfg.ClientID
}

// graphCommandData adds what Graph knows (object ids, scope ids) to the
// ids a fix command is filled with.
func graphCommandData(env *Env, d *CommandData) {
	if env == nil {
		return
	}
	if env.Graph != nil {
		d.GraphEndpoint = strings.TrimRight(env.Graph.Endpoint(), "/")
	}
	if env.State == nil {
		return
	}
	apps := env.State.Graph.Apps
	if apps == nil {
		return
	}
	if a := apps.Gateway; a != nil {
		d.GatewayObjectID = a.ObjectID
	}
	if a := apps.MCPAPI; a != nil {
		d.MCPAPIObjectID = a.ObjectID
		if s, ok := a.Scope("mcp.access"); ok {
			d.MCPAccessScopeID = s.ID
		}
	}
}

// listOr lists values for a detail, "none" when empty.
func listOr(values []string) string { return joinOr(values, "none") }

// statusOf is a Result's status so far.
func statusOf(r *Result) report.Status { return report.StatusOf(r.findings) }

// sentence ends s with one full stop.
func sentence(s string) string { return strings.TrimRight(s, ". ") + "." }

// graphEndpoint is the Graph root commands name: the run's setting.
func graphEndpoint(env *Env) string {
	d := NewCommandData(env.Config)
	graphCommandData(env, &d)
	return d.GraphEndpoint
}
