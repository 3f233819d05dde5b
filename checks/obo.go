package checks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/c7doctor/c7doctor/auth"
	"github.com/c7doctor/c7doctor/wire"
)

// OBOState is what the OBO checks learn.
type OBOState struct {
	// Ran is set once obo performed the exchange (whatever came of it).
	Ran bool
	// Failed names the finding obo failed with ("" when it passed).
	Failed string
	// Entra is Entra's refusal, when it refused.
	Entra *auth.EntraError
	// Token is the decoded OBO token (nil unless obo passed).
	Token *auth.Token
}

// failedWith cites the obo probe's failure in another check's detail: one
// line naming the owning check and finding, never its whole detail again.
func (s *OBOState) failedWith() string {
	return "because obo failed: " + s.cause()
}

// cause is the obo failure in a few words: "AADSTS65001 (obo-consent)".
func (s *OBOState) cause() string {
	if s.Entra != nil {
		if s.Entra.Code() != 0 {
			return fmt.Sprintf("AADSTS%d (%s)", s.Entra.Code(), s.Failed)
		}
		if m := aadstsWord.FindString(s.Entra.Description); m != "" {
			return m + " (" + s.Failed + ")"
		}
	}
	return s.Failed
}

var aadstsWord = wire.NewLazyRegexp(`AADSTS\d+`)

// runOBO performs the exchange APIM's policy performs (guide Part 3 Step 3):
// the gateway app with its secret trades the user's gateway token for a
// token to the MCP API, scope api://<mcp-api-app-id>/.default.
func runOBO(ctx context.Context, env *Env, r *Result) {
	cfg := env.Config
	st := &env.State.OBO
	scope := cfg.OBOScope()
	r.Evidence("authority", cfg.Authority())
	r.Evidence("client_id", cfg.GatewayAppID)
	r.Evidence("secret", "from "+secretSource(cfg)+", "+wire.Fingerprint(cfg.GatewaySecret))
	r.Evidence("scope", scope)
	env.Redactor().Secret(cfg.GatewaySecret)

	before := len(env.HTTP.Recorder().Exchanges())
	res, err := auth.OnBehalfOf(ctx, auth.OBORequest{
		AuthorityHost: cfg.AuthorityHost, Tenant: cfg.Tenant, ClientID: cfg.GatewayAppID,
		Secret: cfg.GatewaySecret, Assertion: env.State.GatewayToken, Scopes: []string{scope},
		HTTPClient: env.HTTP.HTTPClient(),
	})
	st.Ran = true
	wireEvidence(env, r, before)
	if err != nil {
		st.Failed = oboFailure(ctx, env, r, err)
		return
	}
	env.Redactor().Secret(res.AccessToken)
	env.State.OBOToken = res.AccessToken
	r.Evidence("latency", res.Duration.Round(time.Millisecond).String())
	r.Evidence("expires_on", res.ExpiresOn.UTC().Format(time.RFC3339))
	if len(res.GrantedScopes) > 0 {
		r.Evidence("granted_scopes", strings.Join(res.GrantedScopes, " "))
	}
	tok, derr := auth.Decode(res.AccessToken)
	if derr != nil {
		st.Failed = "obo-failed"
		r.Find("obo-failed", "Entra issued an access token c7doctor cannot read as a JWT: "+derr.Error()+". Context7 accepts only JWTs.")
		return
	}
	st.Token = tok
	r.Evidence("token", tok.Fingerprint()+" (its claims: obo-claims)")
	r.Summary("Entra issued an OBO token for %s in %s (%s)", scope, res.Duration.Round(time.Millisecond), tok.Describe())
}

func secretSource(cfg *Config) string {
	if cfg.GatewaySecretFile != "" {
		return cfg.GatewaySecretFile
	}
	return "$C7DOCTOR_GATEWAY_SECRET"
}

// oboFailure reports why the exchange failed and returns the finding id.
func oboFailure(ctx context.Context, env *Env, r *Result, err error) string {
	var oe *auth.OBOError
	if !errors.As(err, &oe) || oe.Entra == nil {
		if kind := wire.Classify(err); kind != wire.KindOther || ctx.Err() != nil {
			r.Find("obo-unreachable", fmt.Sprintf("The OBO exchange got no answer from Entra at %s (%s): %v.", env.Config.Authority(), kind, err))
			return "obo-unreachable"
		}
		r.Find("obo-failed", "The OBO exchange failed before Entra refused anything: "+err.Error()+".")
		return "obo-failed"
	}
	e := oe.Entra
	env.State.OBO.Entra = e
	r.Evidence("entra_error", e.String())
	opts := []FindingOption{WithEntra(e.Codes, e.TraceID, e.CorrelationID)}
	said := fmt.Sprintf("Entra answered HTTP %d %s: %s", e.HTTPStatus, e.Error, e.Message())
	cfg := env.Config
	id := EntraFinding("obo", e, cfg)
	var detail string
	switch id {
	case "obo-consent":
		detail = said + " The APIM Gateway app (" + cfg.GatewayAppID + ") holds no admin-consented delegated permission to the Context7 MCP API (" + cfg.MCPAPIAppID + "), so Entra would have to ask the user, which an OBO exchange cannot do. APIM's policy meets the same refusal and forwards an empty bearer token to Context7." + graphCause(ctx, env, causeConsent)
	case "obo-assertion-refused":
		detail = said + " " + assertionDiagnosis(env)
	case "obo-invalid-scope":
		detail = said + fmt.Sprintf(" The scope sent was %q.", cfg.OBOScope())
		if !auth.IsGUID(cfg.MCPAPIAppID) {
			detail += fmt.Sprintf(" The MCP API app id %q is not a GUID: it must be the app's Application (client) ID, so that the scope reads api://<guid>/.default.", cfg.MCPAPIAppID)
		} else {
			detail += " It has the right shape, api://<guid>/.default: check that the mcp-api-app-id named value holds exactly this GUID, with no spaces or api:// prefix, so that APIM's policy renders the same."
		}
	case "obo-bad-secret":
		detail = said + fmt.Sprintf(" The secret c7doctor sent (%s, %s) is not a valid secret of the APIM Gateway app.", secretSource(cfg), wire.Fingerprint(cfg.GatewaySecret))
		if auth.IsGUID(strings.TrimSpace(cfg.GatewaySecret)) {
			detail += " It is a GUID: that is the secret's ID, not its Value."
		}
	case "obo-interaction-required":
		detail = said + " The user's gateway token does not satisfy the Conditional Access policy that guards the MCP API, and an OBO exchange cannot prompt. APIM's exchange fails the same way for this user."
		if e.Claims != "" {
			detail += " Entra returned a claims challenge (" + e.Claims + ")."
		}
	case "obo-resource-not-found":
		detail = said + fmt.Sprintf(" The scope %s names an app that has no service principal in tenant %s.", cfg.OBOScope(), cfg.Tenant) + graphCause(ctx, env, causeMCPAPISP)
	case "obo-secret-expired":
		detail = said + graphCause(ctx, env, causeSecretExpired)
	default:
		detail = said
	}
	switch id {
	case "obo-bad-secret", "obo-secret-expired":
		// c7doctor sent its own secret; APIM sends its named value, which may be the same mistake.
		findCaused(r, id, detail, armCause(ctx, env, topicGatewaySecret), opts...)
	case "obo-invalid-scope":
		// c7doctor sent the scope the run knows; APIM sends what its policy builds.
		findCaused(r, id, detail, armCause(ctx, env, topicOBOScope), opts...)
	default:
		r.Find(id, detail, opts...)
	}
	r.Summary("Entra refused the OBO exchange: AADSTS%d", e.Code())
	return id
}

// assertionDiagnosis says, from the gateway token's own claims, why Entra
// may have refused it as an assertion.
func assertionDiagnosis(env *Env) string {
	tok, err := auth.Decode(env.State.GatewayToken)
	if err != nil {
		return "The gateway token is not a readable JWT (" + err.Error() + ")."
	}
	c := &tok.Claims
	cfg := env.Config
	var why []string
	if !c.HasAudience(cfg.GatewayAppID) && !c.HasAudience("api://"+cfg.GatewayAppID) {
		why = append(why, fmt.Sprintf("its audience is %s, not the APIM Gateway app %s", quoteList(c.AudString()), cfg.GatewayAppID))
	}
	if tok.Version == auth.V1 {
		why = append(why, fmt.Sprintf("it is a v1 token (iss %s): set requestedAccessTokenVersion 2 on the APIM Gateway app", c.Iss))
	}
	if c.Exp != nil && !c.Exp.Time.After(env.Now()) {
		why = append(why, fmt.Sprintf("it expired at %s", c.Exp.Time.UTC().Format(time.RFC3339)))
	}
	if c.Tid != "" && env.State.TenantGUID != "" && !strings.EqualFold(c.Tid, env.State.TenantGUID) {
		why = append(why, fmt.Sprintf("it was issued by tenant %s, not %s", c.Tid, env.State.TenantGUID))
	}
	if len(env.State.JWKS) > 0 {
		if verr := auth.Verify(tok, env.State.JWKS); verr != nil {
			why = append(why, "its signature does not verify against the tenant's keys ("+verr.Error()+")")
		}
	}
	claims := fmt.Sprintf("(iss %s, aud %s, ver %s, kid %s, exp %s)", c.Iss, c.AudString(), orNone(c.Ver), orNone(tok.Header.Kid), expString(c))
	if len(why) == 0 {
		return "The gateway token was refused as the assertion, though its claims look right " + claims + ": Entra could not validate its signature (a token minted by another tenant or cloud, or altered), which APIM's validate-azure-ad-token may not have checked the same way."
	}
	return "The gateway token was refused as the assertion: " + strings.Join(why, "; ") + " " + claims + "."
}

func expString(c *auth.Claims) string {
	if c.Exp == nil {
		return "none"
	}
	return c.Exp.Time.UTC().Format(time.RFC3339)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func quoteList(s string) string {
	if s == "" {
		return "empty"
	}
	return s
}

// wireEvidence records each request MSAL made (tenant discovery, token) with
// its status and latency: a fresh client asks both every time.
func wireEvidence(env *Env, r *Result, from int) {
	exs := env.HTTP.Recorder().Exchanges()
	for i := from; i < len(exs); i++ {
		ex := exs[i]
		key := "request"
		switch {
		case strings.HasSuffix(ex.URL, "/token"):
			key = "token_endpoint"
		case strings.Contains(ex.URL, "/.well-known/openid-configuration"):
			key = "discovery"
		case strings.Contains(ex.URL, "/discovery/instance"):
			key = "instance_discovery"
		}
		u := strings.TrimSuffix(ex.URL, "?")
		v := fmt.Sprintf("%s %s → %d in %s", ex.Method, u, ex.Status, ex.Duration.Round(time.Millisecond))
		if ex.Err != "" {
			v = fmt.Sprintf("%s %s → no answer (%s) after %s", ex.Method, u, ex.Err, ex.Duration.Round(time.Millisecond))
		}
		r.Evidence(key, v)
	}
}
