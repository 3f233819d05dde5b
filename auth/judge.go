package auth

import (
	"strings"
	"time"
)

// ClockSkew is the leeway allowed on exp and nbf, as APIM and Entra allow.
const ClockSkew = 5 * time.Minute

// Expect is what a token must carry. An empty field is not judged.
type Expect struct {
	Audience string   // a client id aud must hold
	Scopes   []string // scopes scp must hold, each
	Tenant   string   // the tenant GUID tid must be
	// AnyTenant judges only that tid is there, when the tenant is not known.
	AnyTenant bool
	Issuer    string // the exact iss
	V2Issuer  bool   // iss must be a v2 issuer, when the exact one is not known
	V2        bool   // ver 2.0 with a v2 issuer
	// Lifetime judges exp (present, not past) and nbf (past), each with
	// Skew, at Now.
	Lifetime bool
	Skew     time.Duration
	Now      time.Time
}

// Outcome is what the judge found of one claim.
type Outcome string

const (
	Held        Outcome = "held"
	Absent      Outcome = "absent"        // the claim is not there
	Differs     Outcome = "differs"       // it holds another value
	AppIDURI    Outcome = "app-id-uri"    // aud is api://<want>: the v1 form of the app
	V1Form      Outcome = "v1"            // iss or ver of a v1 token
	Expired     Outcome = "expired"       // exp passed, beyond the skew
	InSkew      Outcome = "in-skew"       // exp passed, within the skew
	ExpiresSoon Outcome = "expires-soon"  // exp comes within the skew
	NotYetValid Outcome = "not-yet-valid" // nbf beyond the skew ahead
)

// Verdict is the judgement of one claim (for scp, of one scope).
type Verdict struct {
	Claim   string // aud, scp, tid, iss, ver, exp, nbf
	Outcome Outcome
	Got     string
	Want    string
}

// OK reports a verdict a gateway accepts (an exp within the skew included).
func (v Verdict) OK() bool {
	return v.Outcome == Held || v.Outcome == ExpiresSoon || v.Outcome == InSkew
}

// Judge holds a token against expectations: one verdict per judged claim,
// in the order aud, scp, tid, iss, ver, nbf, exp.
func Judge(tok *Token, e Expect) []Verdict {
	c := &tok.Claims
	var out []Verdict
	add := func(claim string, o Outcome, got, want string) {
		out = append(out, Verdict{Claim: claim, Outcome: o, Got: got, Want: want})
	}
	if e.Audience != "" {
		got := c.AudString()
		switch {
		case c.HasAudience(e.Audience):
			add("aud", Held, got, e.Audience)
		case len(c.Aud) == 0:
			add("aud", Absent, "", e.Audience)
		case c.HasAudience("api://" + e.Audience):
			add("aud", AppIDURI, got, e.Audience)
		default:
			add("aud", Differs, got, e.Audience)
		}
	}
	for _, s := range e.Scopes {
		got := strings.Join(c.Scp, " ")
		switch {
		case c.HasScope(s):
			add("scp", Held, got, s)
		case len(c.Scp) == 0:
			add("scp", Absent, "", s)
		default:
			add("scp", Differs, got, s)
		}
	}
	if e.Tenant != "" || e.AnyTenant {
		switch {
		case c.Tid == "":
			add("tid", Absent, "", e.Tenant)
		case e.Tenant != "" && !strings.EqualFold(c.Tid, e.Tenant):
			add("tid", Differs, c.Tid, e.Tenant)
		default:
			add("tid", Held, c.Tid, e.Tenant)
		}
	}
	if e.Issuer != "" || e.V2Issuer {
		switch {
		case IssuerVersion(c.Iss) == V1:
			add("iss", V1Form, c.Iss, e.Issuer)
		case e.Issuer != "" && c.Iss != e.Issuer, e.Issuer == "" && IssuerVersion(c.Iss) != V2:
			add("iss", Differs, c.Iss, e.Issuer)
		default:
			add("iss", Held, c.Iss, e.Issuer)
		}
	}
	if e.V2 {
		switch {
		case tok.Version == V2 && IssuerVersion(c.Iss) == V2:
			add("ver", Held, c.Ver, "2.0")
		case tok.Version == V1 || IssuerVersion(c.Iss) == V1:
			add("ver", V1Form, c.Ver, "2.0")
		default:
			add("ver", Differs, c.Ver, "2.0")
		}
	}
	if e.Lifetime {
		out = append(out, judgeLifetime(c, e.Now, e.Skew)...)
	}
	return out
}

func judgeLifetime(c *Claims, now time.Time, skew time.Duration) []Verdict {
	var out []Verdict
	if c.Nbf != nil {
		o := Held
		if now.Before(c.Nbf.Time.Add(-skew)) {
			o = NotYetValid
		}
		out = append(out, Verdict{Claim: "nbf", Outcome: o})
	}
	v := Verdict{Claim: "exp", Outcome: Held}
	switch {
	case c.Exp == nil:
		v.Outcome = Absent
	case now.After(c.Exp.Time.Add(skew)):
		v.Outcome = Expired
	case now.After(c.Exp.Time):
		v.Outcome = InSkew
	case c.Exp.Time.Sub(now) < skew:
		v.Outcome = ExpiresSoon
	}
	return append(out, v)
}

// Find returns the first verdict on a claim.
func Find(vs []Verdict, claim string) (Verdict, bool) {
	for _, v := range vs {
		if v.Claim == claim {
			return v, true
		}
	}
	return Verdict{}, false
}
