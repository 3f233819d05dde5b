package checks

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/c7doctor/c7doctor/auth"
	"github.com/c7doctor/c7doctor/report"
)

// GatewayScopeName is the scope the Gateway app exposes (Part 2 Step 2).
const GatewayScopeName = "Mcp.Gateway.Access"

// runGatewayClaims checks what APIM's validate-azure-ad-token checks, and
// says for each claim what is wrong with it: signature, iss, aud, scp, tid,
// oid, exp and nbf.
func runGatewayClaims(ctx context.Context, env *Env, r *Result) {
	tok := env.State.Token.Decoded
	if tok == nil && env.State.GatewayToken != "" {
		t, err := auth.Decode(env.State.GatewayToken)
		if err != nil {
			r.Find("token-invalid", fmt.Sprintf("The gateway token is not a readable JWT: %v.", err))
			return
		}
		tok = t
	}
	if tok == nil {
		r.Skip("needs gateway-token")
		return
	}
	c := &tok.Claims
	r.Evidence("kind", tok.Describe())
	r.Evidence("iss", c.Iss)
	r.Evidence("aud", c.AudString())
	r.Evidence("scp", strings.Join(c.Scp, " "))
	if len(c.Roles) > 0 {
		r.Evidence("roles", strings.Join(c.Roles, " "))
	}
	r.Evidence("tid", c.Tid)
	r.Evidence("oid", c.Oid)
	if client := c.ClientID(); client != "" {
		name := "azp"
		if c.Azp == "" {
			name = "appid"
		}
		r.Evidence("client", name+" "+client+clientName(client, env.Config))
	}
	if len(tok.Warnings) > 0 {
		r.Evidence("warnings", strings.Join(tok.Warnings, "; "))
	}

	verdicts := auth.Judge(tok, gatewayExpect(tok, env))
	claimsKind(r, tok, env)
	claimsIssuer(ctx, r, tok, env, verdicts)
	claimsAudience(r, tok, env, verdicts)
	claimsScope(r, verdicts)
	claimsTenant(r, verdicts)
	if c.Oid == "" && !tok.AppOnly() {
		r.Find("token-no-oid", "The token has no oid claim.")
	}
	claimsLifetime(r, tok, env, verdicts)
	// Last, so that what the token says leads and a missing key set trails.
	claimsSignature(r, tok, env)
	if r.Failed() {
		// The summary names the first error, not an earlier warning.
		for _, f := range r.findings {
			if f.Severity == report.Error {
				r.Summary("%s", f.Title)
				break
			}
		}
	} else {
		left := ""
		if c.Exp != nil {
			left = ", expires " + auth.Relative(c.Exp.Time, env.Now())
		}
		r.Summary("%s for %s with scp %s%s", tok.Describe(), c.AudString(), strings.Join(c.Scp, " "), left)
	}
}

func claimsKind(r *Result, tok *auth.Token, env *Env) {
	switch tok.Kind {
	case auth.KindGraph:
		r.Find("token-graph", fmt.Sprintf("The token's header carries a nonce and its aud is %s: it is a Microsoft Graph token, which only Graph can verify and no other API accepts.", tok.Claims.AudString()))
	case auth.KindID:
		r.Find("token-id-token", fmt.Sprintf("The token has no scp, roles, azp or appid and its aud is %s: it is an ID token for that client.", tok.Claims.AudString()))
	case auth.KindAppOnly:
		r.Find("token-app-only", fmt.Sprintf("The token carries roles [%s] and no scp: it was issued to an application (client credentials), with no user signed in.", strings.Join(tok.Claims.Roles, " ")))
	}
}

func claimsSignature(r *Result, tok *auth.Token, env *Env) {
	if tok.Graph() {
		r.Evidence("signature", "not verifiable: a Graph token")
		return
	}
	if len(env.State.JWKS) == 0 {
		r.Evidence("signature", "not verified")
		r.Find("token-not-verified", "The tenant's signing keys were not fetched (tenant-keys did not run or did not pass), so the signature was not checked; the claims were.")
		return
	}
	err := auth.Verify(tok, env.State.JWKS)
	if err == nil {
		env.State.Token.Verified = true
		r.Evidence("signature", fmt.Sprintf("verified (RS256 key %s of %s)", tok.Header.Kid, claimOrUnknown(env.State.JWKSURI)))
		return
	}
	r.Evidence("signature", "not verified")
	var ve *auth.VerifyError
	if !errors.As(err, &ve) {
		r.Find("token-signature-invalid", err.Error())
		return
	}
	switch ve.Kind {
	case auth.VerifyKeyNotFound:
		r.Find("token-signing-key-unknown", upperFirst(ve.Detail)+".")
	case auth.VerifyUnsigned:
		r.Find("token-unsigned", fmt.Sprintf("The token's alg is %q.", tok.Header.Alg))
	case auth.VerifyNoKeys:
		r.Find("token-not-verified", "The tenant's key set could not be used: "+ve.Error()+".")
	default:
		r.Find("token-signature-invalid", upperFirst(ve.Detail)+".")
	}
}

// expectedTenant is the tenant GUID the token must carry, "" when only a
// domain is known (tenant-keys resolves it).
func expectedTenant(env *Env) string {
	if env.State.TenantGUID != "" {
		return env.State.TenantGUID
	}
	if auth.IsGUID(env.Config.Tenant) {
		return strings.ToLower(env.Config.Tenant)
	}
	return ""
}

func expectedIssuer(env *Env) string {
	if env.State.Issuer != "" {
		return env.State.Issuer
	}
	if t := expectedTenant(env); t != "" {
		return strings.TrimRight(env.Config.AuthorityHost, "/") + "/" + t + "/v2.0"
	}
	return ""
}

// gatewayExpect is what APIM's validate-azure-ad-token demands of the token.
func gatewayExpect(tok *auth.Token, env *Env) auth.Expect {
	e := auth.Expect{
		Audience: env.Config.GatewayAppID, Tenant: expectedTenant(env), AnyTenant: true,
		Issuer: expectedIssuer(env), V2Issuer: true,
		Lifetime: true, Skew: ClockSkew, Now: env.Now(),
	}
	if tok.Kind == auth.KindAccess {
		e.Scopes = []string{GatewayScopeName}
	}
	return e
}

func claimsIssuer(ctx context.Context, r *Result, tok *auth.Token, env *Env, verdicts []auth.Verdict) {
	iss := tok.Claims.Iss
	want := expectedIssuer(env)
	v, _ := auth.Find(verdicts, "iss")
	switch {
	case v.Outcome == auth.V1Form:
		detail := fmt.Sprintf("iss is %s (ver %s): a v1 token. APIM's validate-azure-ad-token and Context7 expect %s: the APIM Gateway app's manifest does not set requestedAccessTokenVersion to 2.", iss, claimOrUnknown(tok.Claims.Ver), claimOrUnknown(want))
		if tok.Claims.HasAudience("api://" + env.Config.GatewayAppID) {
			detail += " Its aud, api://" + env.Config.GatewayAppID + ", is the v1 form of the same app: v2 tokens name it by client id."
		}
		r.Find("token-v1-issuer", detail+graphCause(ctx, env, causeGatewayV1))
	case v.OK():
	case want == "":
		r.Find("token-wrong-issuer", fmt.Sprintf("iss is %q, not a v2 issuer (https://<authority-host>/<tenant-id>/v2.0).", iss))
	default:
		r.Find("token-wrong-issuer", fmt.Sprintf("iss is %q, want %q%s.", iss, want, issuerDifference(iss, want)))
	}
}

// issuerDifference names what differs: the host or the tenant.
func issuerDifference(got, want string) string {
	gh, gt := splitIssuer(got)
	wh, wt := splitIssuer(want)
	switch {
	case gh != "" && gh != wh && gt == wt:
		return fmt.Sprintf(": the same tenant on another authority host (%s)", gh)
	case gh == wh && gt != wt:
		return fmt.Sprintf(": another tenant (%s)", gt)
	}
	return ""
}

func splitIssuer(iss string) (host, tenant string) {
	rest, ok := strings.CutPrefix(iss, "https://")
	if !ok {
		return "", ""
	}
	parts := strings.Split(rest, "/")
	if len(parts) < 2 {
		return parts[0], ""
	}
	return parts[0], parts[1]
}

func claimsAudience(r *Result, tok *auth.Token, env *Env, verdicts []auth.Verdict) {
	c := &tok.Claims
	gw := env.Config.GatewayAppID
	v, _ := auth.Find(verdicts, "aud")
	if v.OK() || tok.Kind == auth.KindGraph || tok.Kind == auth.KindID {
		return
	}
	if v.Outcome == auth.AppIDURI && tok.Version == auth.V1 {
		return // said with token-v1-issuer: v2 tokens name the app by client id
	}
	aud := c.AudString()
	var what string
	switch {
	case v.Outcome == auth.Absent:
		what = "The token has no aud claim."
	case v.Outcome == auth.AppIDURI:
		what = fmt.Sprintf("aud is the Application ID URI api://%s, not the client id %s that APIM's policy expects.", gw, gw)
	case env.Config.MCPAPIAppID != "" && (c.HasAudience(env.Config.MCPAPIAppID) || c.HasAudience("api://"+env.Config.MCPAPIAppID)):
		what = fmt.Sprintf("aud is %s, the Context7 MCP API app: that is the audience of the token APIM gets in the OBO exchange, not of the one a client sends. The client requested the MCP API's scope instead of api://%s/%s.", aud, gw, GatewayScopeName)
	case auth.IsGraphAudience(c.Aud[0]):
		what = fmt.Sprintf("aud is %s, Microsoft Graph: this is a Graph token (az account get-access-token without --resource gives one).", aud)
	case strings.EqualFold(c.Aud[0], "https://management.core.windows.net/") || strings.EqualFold(c.Aud[0], "https://management.azure.com"):
		what = fmt.Sprintf("aud is %s, Azure Resource Manager: az account get-access-token was run without --resource api://%s.", aud, gw)
	default:
		what = fmt.Sprintf("aud is %s, another app: want %s.", aud, gw)
	}
	r.Find("token-wrong-audience", what)
}

func claimsScope(r *Result, verdicts []auth.Verdict) {
	switch v, _ := auth.Find(verdicts, "scp"); v.Outcome {
	case auth.Absent:
		r.Find("token-missing-scope", "The token has no scp claim.")
	case auth.Differs:
		r.Find("token-missing-scope", fmt.Sprintf("scp is %q: it does not contain %s.", v.Got, v.Want))
	}
}

func claimsTenant(r *Result, verdicts []auth.Verdict) {
	switch v, _ := auth.Find(verdicts, "tid"); v.Outcome {
	case auth.Absent:
		r.Find("token-wrong-tenant", "The token has no tid claim.")
	case auth.Differs:
		r.Find("token-wrong-tenant", fmt.Sprintf("tid is %s, want %s.", v.Got, v.Want))
	}
}

func claimsLifetime(r *Result, tok *auth.Token, env *Env, verdicts []auth.Verdict) {
	c := &tok.Claims
	now := env.Now()
	if c.Iat != nil {
		r.Evidence("iat", auth.HumanTime(c.Iat.Time, now))
	}
	if c.Nbf != nil {
		r.Evidence("nbf", auth.HumanTime(c.Nbf.Time, now))
		if v, _ := auth.Find(verdicts, "nbf"); v.Outcome == auth.NotYetValid {
			r.Find("token-not-yet-valid", fmt.Sprintf("nbf is %s, more than %s after this machine's clock (%s).", auth.HumanTime(c.Nbf.Time, now), ClockSkew, now.UTC().Format("2006-01-02T15:04:05Z")))
		}
	}
	v, _ := auth.Find(verdicts, "exp")
	if v.Outcome == auth.Absent {
		r.Find("token-expired", "The token has no exp claim: it never expires, which no gateway accepts.")
		return
	}
	exp := c.Exp.Time
	r.Evidence("exp", auth.HumanTime(exp, now))
	switch v.Outcome {
	case auth.Expired:
		r.Find("token-expired", fmt.Sprintf("exp is %s: the token expired %s ago.", exp.UTC().Format("2006-01-02T15:04:05Z"), strings.TrimSuffix(auth.Relative(exp, now), " ago")))
	case auth.InSkew:
		r.Find("token-expiring", fmt.Sprintf("exp is %s: expired %s, inside the %s clock skew; it is refused any moment now.", exp.UTC().Format("2006-01-02T15:04:05Z"), auth.Relative(exp, now), ClockSkew))
	case auth.ExpiresSoon:
		r.Find("token-expiring", fmt.Sprintf("exp is %s: the token expires %s.", exp.UTC().Format("2006-01-02T15:04:05Z"), auth.Relative(exp, now)))
	}
}

func claimOrUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
