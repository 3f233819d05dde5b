package auth

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Claims are the claims of an Entra token that c7doctor reasons about, each
// under its claim name. Every claim, these and the rest, is in Raw.
type Claims struct {
	Iss   string
	Aud   []string // a string or an array in the token
	Sub   string
	Scp   []string // space-separated in the token
	Roles []string
	Oid   string
	Tid   string
	Azp   string // v2: the client app the token was issued to
	Appid string // v1: the client app the token was issued to
	Ver   string
	Idtyp string // optional claim: "app" or "user"
	Iat   *NumericDate
	Nbf   *NumericDate
	Exp   *NumericDate
	Uti   string
	Nonce string // an ID token's nonce claim (not the Graph header nonce)

	Name              string
	PreferredUsername string // v2
	UPN               string // v1
	UniqueName        string // v1
	Email             string
	Azpacr            string // v2: 0 public client, 1 secret, 2 certificate
	Appidacr          string // v1: the same
	Amr               []string

	// Raw holds every claim as sent.
	Raw map[string]json.RawMessage
}

// NumericDate is a JWT time: seconds since the epoch, as sent.
type NumericDate struct {
	Raw  json.Number
	Time time.Time
}

// Unix is the date in whole seconds.
func (d *NumericDate) Unix() int64 { return d.Time.Unix() }

// ClientID is the app the token was issued to: azp (v2) or appid (v1).
func (c *Claims) ClientID() string {
	if c.Azp != "" {
		return c.Azp
	}
	return c.Appid
}

// ClientAuth is azpacr or appidacr: how the client authenticated.
func (c *Claims) ClientAuth() string {
	if c.Azpacr != "" {
		return c.Azpacr
	}
	return c.Appidacr
}

// User is the best human name of the subject: preferred_username, upn,
// unique_name or email.
func (c *Claims) User() string {
	for _, v := range []string{c.PreferredUsername, c.UPN, c.UniqueName, c.Email} {
		if v != "" {
			return v
		}
	}
	return ""
}

// HasScope reports whether scp holds s (Entra compares scopes case-insensitively).
func (c *Claims) HasScope(s string) bool {
	return slices.ContainsFunc(c.Scp, func(v string) bool { return strings.EqualFold(v, s) })
}

// HasRole reports whether roles holds r.
func (c *Claims) HasRole(r string) bool { return slices.Contains(c.Roles, r) }

// HasAudience reports whether aud holds a exactly.
func (c *Claims) HasAudience(a string) bool { return slices.Contains(c.Aud, a) }

// AudString is aud as a person reads it.
func (c *Claims) AudString() string { return strings.Join(c.Aud, ", ") }

// parse fills the typed claims; a claim of the wrong type is left empty with
// a warning, so a strange token still shows everything else.
func (c *Claims) parse(b []byte) []string {
	fields, warns := rawFields(b, "claim")
	c.Raw = fields
	str := func(name string, dst *string) {
		v, ok := fields[name]
		if !ok {
			return
		}
		if err := json.Unmarshal(v, dst); err != nil {
			warns = append(warns, fmt.Sprintf("claim %s is %s, not a string", name, JSONKind(v)))
		}
	}
	strs := func(name string, dst *[]string, spaceSeparated bool) {
		v, ok := fields[name]
		if !ok {
			return
		}
		var one string
		if err := json.Unmarshal(v, &one); err == nil {
			if spaceSeparated {
				*dst = strings.Fields(one)
			} else {
				*dst = []string{one}
			}
			return
		}
		var many []string
		if err := json.Unmarshal(v, &many); err == nil {
			*dst = many
			return
		}
		warns = append(warns, fmt.Sprintf("claim %s is %s, not a string or an array of strings", name, JSONKind(v)))
	}
	date := func(name string) *NumericDate {
		v, ok := fields[name]
		if !ok {
			return nil
		}
		d, err := parseNumericDate(v)
		if err != nil {
			warns = append(warns, fmt.Sprintf("claim %s: %v", name, err))
			return nil
		}
		return d
	}
	str("iss", &c.Iss)
	strs("aud", &c.Aud, false)
	str("sub", &c.Sub)
	strs("scp", &c.Scp, true)
	strs("roles", &c.Roles, false)
	str("oid", &c.Oid)
	str("tid", &c.Tid)
	str("azp", &c.Azp)
	str("appid", &c.Appid)
	str("ver", &c.Ver)
	str("idtyp", &c.Idtyp)
	c.Iat, c.Nbf, c.Exp = date("iat"), date("nbf"), date("exp")
	str("uti", &c.Uti)
	str("nonce", &c.Nonce)
	str("name", &c.Name)
	str("preferred_username", &c.PreferredUsername)
	str("upn", &c.UPN)
	str("unique_name", &c.UniqueName)
	str("email", &c.Email)
	str("azpacr", &c.Azpacr)
	str("appidacr", &c.Appidacr)
	strs("amr", &c.Amr, false)
	return warns
}

func parseNumericDate(v json.RawMessage) (*NumericDate, error) {
	var n json.Number
	if err := json.Unmarshal(v, &n); err != nil || n == "" {
		return nil, fmt.Errorf("is %s, not a number of seconds", JSONKind(v))
	}
	// A quoted number unmarshals into json.Number too; a NumericDate must not be quoted.
	if strings.HasPrefix(strings.TrimSpace(string(v)), `"`) {
		return nil, fmt.Errorf("is a string (%s), not a number of seconds", string(v))
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("%s is not a number of seconds", n)
	}
	// Beyond year 9999 a time cannot be written in RFC 3339.
	if f < -62135596800 || f > 253402300799 {
		return nil, fmt.Errorf("%s is outside the years 1 to 9999", n)
	}
	sec, frac := math.Modf(f)
	return &NumericDate{Raw: n, Time: time.Unix(int64(sec), int64(frac*1e9)).UTC()}, nil
}

// JSONKind names the kind of a JSON value, for messages like "expected a
// string, got an array".
func JSONKind(v json.RawMessage) string {
	s := strings.TrimSpace(string(v))
	if s == "" {
		return "nothing"
	}
	switch s[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
