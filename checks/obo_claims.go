package checks

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/c7doctor/c7doctor/auth"
)

// apimOBOCacheDuration is the guide policy's cache-store-value duration.
const apimOBOCacheDuration = 3000 * time.Second

// runOBOClaims checks the OBO token against the guide's "End-to-end token
// claims" table and against what Context7 demands of it.
func runOBOClaims(ctx context.Context, env *Env, r *Result) {
	tok := env.State.OBO.Token
	if tok == nil {
		var err error
		if tok, err = auth.Decode(env.State.OBOToken); err != nil {
			r.Find("obo-failed", "The OBO token is not a readable JWT: "+err.Error())
			return
		}
	}
	c := &tok.Claims
	cfg := env.Config
	r.Evidence("iss", c.Iss)
	r.Evidence("aud", c.AudString())
	r.Evidence("scp", strings.Join(c.Scp, " "))
	r.Evidence("oid", c.Oid)
	r.Evidence("tid", c.Tid)
	if u := c.User(); u != "" {
		r.Evidence("user", u)
	}
	r.Evidence("ver", string(tok.Version))

	gw, _ := auth.Decode(env.State.GatewayToken)
	tenant := c.Tid
	if gw != nil && gw.Claims.Tid != "" {
		tenant = gw.Claims.Tid
	}
	wantIss := strings.TrimRight(cfg.AuthorityHost, "/") + "/" + tenant + "/v2.0"
	// What Context7 demands of the token (the guide's End-to-end token claims).
	verdicts := auth.Judge(tok, auth.Expect{Audience: cfg.MCPAPIAppID, Scopes: []string{"mcp.access"}, Issuer: wantIss, V2: true})
	iss, _ := auth.Find(verdicts, "iss")
	ver, _ := auth.Find(verdicts, "ver")
	switch {
	case ver.Outcome == auth.V1Form || iss.Outcome == auth.V1Form:
		r.Find("obo-v1-token", fmt.Sprintf("The OBO token has iss %s and ver %s: the Context7 MCP API app issues v1 tokens. Context7 checks the issuer against https://login.microsoftonline.com/<tenant-id>/v2.0 and refuses this token (\"Invalid token\").", c.Iss, orNone(c.Ver))+graphCause(ctx, env, causeMCPAPIV1))
	case !iss.OK():
		r.Find("obo-user-mismatch", fmt.Sprintf("The OBO token's issuer is %s; the tenant's v2 issuer is %s.", c.Iss, wantIss))
	}
	if aud, _ := auth.Find(verdicts, "aud"); tok.Version != auth.V1 && !aud.OK() {
		r.Find("obo-wrong-audience", fmt.Sprintf("The OBO token's aud is %s; it must be the Context7 MCP API app's client id %s (what the Context7 dashboard's Audience holds).", quoteList(c.AudString()), cfg.MCPAPIAppID))
	}
	if scp, _ := auth.Find(verdicts, "scp"); !scp.OK() {
		r.Find("obo-scope-missing", fmt.Sprintf("The OBO token's scp is %q; Context7's Required scope mcp.access is not among them.", strings.Join(c.Scp, " ")))
	}
	if gw != nil {
		var diff []string
		if !strings.EqualFold(gw.Claims.Oid, c.Oid) {
			diff = append(diff, fmt.Sprintf("oid %s (gateway token: %s)", orNone(c.Oid), orNone(gw.Claims.Oid)))
		}
		if !strings.EqualFold(gw.Claims.Tid, c.Tid) {
			diff = append(diff, fmt.Sprintf("tid %s (gateway token: %s)", orNone(c.Tid), orNone(gw.Claims.Tid)))
		}
		if len(diff) > 0 {
			r.Find("obo-user-mismatch", "The OBO token carries "+strings.Join(diff, " and ")+".")
		}
	}
	checkOBOSignature(env, r, tok)
	checkOBOTimes(env, r, c)
	// Only the hosted Context7 insists on the public cloud's issuer; a
	// stand-in (the lab, or a self-hosted server) validates its own.
	if forHostedContext7(cfg.Upstream) && !issuedByPublicCloud(c.Iss) {
		r.Find("obo-issuer-host", fmt.Sprintf("The OBO token's issuer is %s.", c.Iss))
	}
	if !r.Failed() {
		r.Summary("v2 OBO token for %s: aud %s, scp %s, same user (oid %s)", orNone(c.User()), c.AudString(), strings.Join(c.Scp, " "), c.Oid)
	}
}

func checkOBOSignature(env *Env, r *Result, tok *auth.Token) {
	if len(env.State.JWKS) == 0 {
		r.Find("obo-not-verified", "The tenant's signing keys are not loaded (tenant-keys did not pass), so the OBO token's signature was not checked.")
		return
	}
	if err := auth.Verify(tok, env.State.JWKS); err != nil {
		r.Find("obo-bad-signature", fmt.Sprintf("The OBO token (kid %s) does not verify against the keys at %s: %v.", orNone(tok.Header.Kid), orNone(env.State.JWKSURI), err))
		return
	}
	r.Evidence("signature", "verified against the tenant's keys (kid "+tok.Header.Kid+")")
}

func checkOBOTimes(env *Env, r *Result, c *auth.Claims) {
	now := env.Now()
	exp, _ := auth.Find(auth.Judge(&auth.Token{Claims: *c}, auth.Expect{Lifetime: true, Skew: ClockSkew, Now: now}), "exp")
	if exp.Outcome == auth.Absent {
		r.Find("obo-expired", "The OBO token has no exp claim; Context7 would refuse it.")
		return
	}
	r.Evidence("exp", c.Exp.Time.UTC().Format(time.RFC3339))
	if exp.Outcome == auth.Expired {
		r.Find("obo-expired", fmt.Sprintf("The OBO token expired at %s, before this run looked at it (%s).", c.Exp.Time.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339)))
		return
	}
	if c.Iat != nil {
		life := c.Exp.Time.Sub(c.Iat.Time)
		r.Evidence("lifetime", life.Round(time.Second).String())
		if life < apimOBOCacheDuration {
			r.Find("obo-lifetime-short", fmt.Sprintf("The OBO token lives %s (iat %s, exp %s), shorter than the %s the guide's policy caches it for: for the rest of each cache entry APIM forwards an expired token.", life.Round(time.Second), c.Iat.Time.UTC().Format(time.RFC3339), c.Exp.Time.UTC().Format(time.RFC3339), apimOBOCacheDuration))
		}
	}
}

// issuedByPublicCloud reports an issuer on login.microsoftonline.com, the
// only one Context7 accepts.
func issuedByPublicCloud(iss string) bool {
	u, err := url.Parse(iss)
	return err == nil && strings.EqualFold(u.Hostname(), "login.microsoftonline.com")
}

// forHostedContext7 reports whether the upstream is mcp.context7.com.
func forHostedContext7(upstream string) bool {
	u, err := url.Parse(upstream)
	return err == nil && strings.EqualFold(u.Hostname(), "mcp.context7.com")
}
