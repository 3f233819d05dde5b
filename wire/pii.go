package wire

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// With --redact-pii a report can be shared outside the tenant: names,
// emails/UPNs, object ids, subjects and IP addresses become pseudonyms such
// as [name-1], [user-1@redacted], [oid-1]. The same value always gets the
// same pseudonym within a run, so a reader can still see that the user of
// the gateway token is the user of the OBO token.
//
// Where values are found:
//   - in every base64url JSON segment (a JWT's header and claims, MSAL's
//     client_info): the personal claims are replaced inside the JSON, which
//     is encoded again, and their values are remembered;
//   - in text: email addresses, and GUIDs written after oid/uid/object id;
//   - then every remembered value (and its URL/JSON spelling) is replaced
//     wherever it appears, case-insensitively, on word boundaries.
//
// Given and family names are replaced inside claims but not hunted in text:
// "Lab" or "Rose" alone would garble ordinary words.

type piiKind string

const (
	piiName piiKind = "name"
	piiUser piiKind = "user"
	piiOID  piiKind = "oid"
	piiSub  piiKind = "sub"
	piiIP   piiKind = "ip"
)

// claimKinds are the claims that name a person.
var claimKinds = map[string]piiKind{
	"name": piiName, "given_name": piiName, "family_name": piiName, "nickname": piiName,
	"upn": piiUser, "email": piiUser, "unique_name": piiUser, "preferred_username": piiUser,
	"login_hint": piiUser, "verified_primary_email": piiUser, "verified_secondary_email": piiUser,
	"oid": piiOID, "uid": piiOID, "home_oid": piiOID,
	"sub": piiSub, "ipaddr": piiIP,
}

// textKinds are the kinds hunted everywhere once known.
var textKinds = map[string]bool{"name": true, "upn": true, "email": true, "unique_name": true,
	"preferred_username": true, "login_hint": true, "verified_primary_email": true,
	"verified_secondary_email": true, "oid": true, "uid": true, "home_oid": true, "sub": true, "ipaddr": true}

type pseudonyms struct {
	byValue map[string]string // kind \x00 lower(value) -> pseudonym
	spell   map[string]string // lower(spelling) -> pseudonym, for text replacement
	count   map[piiKind]int
	own     map[string]bool
	re      *regexp.Regexp
	dirty   bool
}

func newPseudonyms() *pseudonyms {
	return &pseudonyms{byValue: map[string]string{}, spell: map[string]string{}, count: map[piiKind]int{}, own: map[string]bool{}}
}

var (
	b64JSON    = NewLazyRegexp(`eyJ[A-Za-z0-9_-]{2,}={0,2}`)
	emailRe    = NewLazyRegexp(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`)
	guidAfter  = NewLazyRegexp(`(?i)\b(?:oid|uid|home_oid|object[ _-]?id|user[ _-]?id)\b\\?["']?\s*[:=]\s*\\?["']?\s*([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})`)
	reservedRe = NewLazyRegexp(`(?i)^(name|user|oid|sub|ip|redacted|\d+)$`)
)

// pseudonym returns the stable pseudonym of value, creating it.
func (p *pseudonyms) pseudonym(kind piiKind, value string, hunt bool) string {
	if p.own[value] {
		return value
	}
	key := string(kind) + "\x00" + strings.ToLower(value)
	ps, ok := p.byValue[key]
	if !ok {
		p.count[kind]++
		n := p.count[kind]
		if kind == piiUser {
			ps = fmt.Sprintf("[user-%d@redacted]", n)
		} else {
			ps = fmt.Sprintf("[%s-%d]", kind, n)
		}
		p.byValue[key] = ps
		p.own[ps] = true
	}
	if hunt && len(value) >= 3 && !reservedRe.MatchString(value) {
		for _, form := range escapedForms(value) {
			if _, seen := p.spell[strings.ToLower(form)]; !seen {
				p.spell[strings.ToLower(form)] = ps
				p.dirty = true
			}
		}
	}
	return ps
}

// learnValue guesses the kind of a value given by Redactor.Person.
func (p *pseudonyms) learnValue(v string) {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
	case strings.Contains(v, "@"):
		p.pseudonym(piiUser, v, true)
	case guidPattern.MatchString(v):
		p.pseudonym(piiOID, v, true)
	case net.ParseIP(v) != nil:
		p.pseudonym(piiIP, v, true)
	default:
		p.pseudonym(piiName, v, true)
	}
}

var guidPattern = NewLazyRegexp(`^(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// learnJWT remembers the personal claims of a token.
func (p *pseudonyms) learnJWT(tok string) {
	parts := strings.Split(tok, ".")
	if len(parts) < 2 {
		return
	}
	p.rewriteSegment(parts[1])
}

// rewriteSegment decodes a base64url JSON object, replaces its personal
// values and returns it encoded again; ok is false when seg is not one.
func (p *pseudonyms) rewriteSegment(seg string) (string, bool) {
	raw := strings.TrimRight(seg, "=")
	padded := len(raw) != len(seg)
	data, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil || len(data) == 0 || data[0] != '{' || !utf8.Valid(data) {
		return seg, false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var obj map[string]any
	if dec.Decode(&obj) != nil {
		return seg, false
	}
	if !p.walk(obj) {
		return seg, true
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if enc.Encode(obj) != nil {
		return seg, true
	}
	out := bytes.TrimRight(b.Bytes(), "\n")
	if padded {
		return base64.URLEncoding.EncodeToString(out), true
	}
	return base64.RawURLEncoding.EncodeToString(out), true
}

// walk replaces personal values in a decoded JSON object; it reports a change.
func (p *pseudonyms) walk(obj map[string]any) bool {
	changed := false
	for _, k := range walkOrder(obj) {
		v := obj[k]
		kind, personal := claimKinds[k]
		switch v := v.(type) {
		case string:
			var nv string
			if personal {
				nv = p.pseudonym(kind, v, textKinds[k])
			} else {
				nv = p.replaceText(v)
			}
			if nv != v {
				obj[k] = nv
				changed = true
			}
		case []any:
			for i, e := range v {
				if s, ok := e.(string); ok && personal {
					if ns := p.pseudonym(kind, s, textKinds[k]); ns != s {
						v[i] = ns
						changed = true
					}
				}
				if m, ok := e.(map[string]any); ok && p.walk(m) {
					changed = true
				}
			}
		case map[string]any:
			if p.walk(v) {
				changed = true
			}
		}
	}
	return changed
}

// replace pseudonymizes s. Everything s teaches is learned first, so that
// a value is replaced the same way before and after the place it is learned.
func (p *pseudonyms) replace(s string) string {
	segs := b64JSON.FindAllString(s, -1)
	for _, seg := range segs {
		p.rewriteSegment(seg)
	}
	for _, m := range emailRe.FindAllString(s, -1) {
		p.pseudonym(piiUser, m, true)
	}
	for _, m := range guidAfter.FindAllStringSubmatch(s, -1) {
		p.pseudonym(piiOID, m[1], true)
	}
	if len(segs) > 0 {
		s = b64JSON.ReplaceAllStringFunc(s, func(seg string) string {
			out, _ := p.rewriteSegment(seg)
			return out
		})
	}
	return p.replaceText(s)
}

// replaceText replaces every remembered spelling.
func (p *pseudonyms) replaceText(s string) string {
	if len(p.spell) == 0 {
		return s
	}
	if p.dirty || p.re == nil {
		spellings := make([]string, 0, len(p.spell))
		for k := range p.spell {
			spellings = append(spellings, bounded(k))
		}
		// Longest first: alternation takes the first that matches.
		sort.Slice(spellings, func(i, j int) bool {
			if len(spellings[i]) != len(spellings[j]) {
				return len(spellings[i]) > len(spellings[j])
			}
			return spellings[i] < spellings[j]
		})
		p.re = regexp.MustCompile(`(?i)(?:` + strings.Join(spellings, "|") + `)`)
		p.dirty = false
	}
	return p.re.ReplaceAllStringFunc(s, func(m string) string {
		if ps, ok := p.spell[strings.ToLower(m)]; ok {
			return ps
		}
		return m
	})
}

// bounded quotes a spelling for the alternation, on word boundaries where
// it begins or ends with a word character.
func bounded(v string) string {
	q := regexp.QuoteMeta(v)
	if isWordByte(v[0]) {
		q = `\b` + q
	}
	if isWordByte(v[len(v)-1]) {
		q += `\b`
	}
	return q
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// claimOrder numbers pseudonyms the same way in every run: the display
// name before its parts, then the rest of the keys sorted.
var claimOrder = []string{"name", "upn", "preferred_username", "email", "unique_name", "oid", "sub"}

func walkOrder(obj map[string]any) []string {
	keys := make([]string, 0, len(obj))
	for _, k := range claimOrder {
		if _, ok := obj[k]; ok {
			keys = append(keys, k)
		}
	}
	rest := make([]string, 0, len(obj))
	for k := range obj {
		if !slices.Contains(claimOrder, k) {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	return append(keys, rest...)
}
