package wire

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

// Redactor is the one place every string passes before it leaves the
// process: reports in every format, verbose output, traces, error messages.
//
// What it removes, whatever the context (JSON, form bodies, URLs, headers,
// error text):
//   - registered secrets (client secret, subscription keys, given tokens'
//     signatures), also URL- and JSON-escaped;
//   - the values of parameters that carry secrets: client_secret,
//     refresh_token, code, device_code, assertion, password, Graph's
//     client-secret hint and secretText, … — entirely;
//   - the signature of every JWT: a token shows as "header.claims." so that
//     what it says stays readable but it can no longer be replayed; an
//     encrypted token (JWE) keeps only its header;
//   - opaque credentials after Bearer/Basic and in access_token/id_token
//     parameters.
//
// Every value it removes by pattern is remembered, so a secret seen once in
// a form body is also removed when it later appears bare.
//
// With RedactPII, it also replaces names, emails/UPNs and object ids with
// stable pseudonyms (see pii.go).
type Redactor struct {
	mu      sync.Mutex
	secrets []string        // longest first, with their escaped forms
	known   map[string]bool // members of secrets
	pii     *pseudonyms     // nil unless RedactPII
}

// NewRedactor returns a Redactor that knows no secrets yet.
func NewRedactor() *Redactor { return &Redactor{known: map[string]bool{}} }

// Redacted marks where something was removed.
const Redacted = "[redacted]"

// minSecret is the shortest value Secret accepts: shorter ones would redact
// ordinary words. learnedMin is the shortest value learned from a pattern.
const (
	minSecret  = 6
	learnedMin = 16
)

// Secret registers values that must never be shown (client secret, refresh
// token, authorization code, header values). A JWT registers only its
// signature: its claims stay readable.
func (r *Redactor) Secret(values ...string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range values {
		r.addSecretLocked(strings.TrimSpace(v), minSecret)
		if r.pii != nil && jwtSignature(v) != "" {
			r.pii.learnJWT(strings.TrimSpace(v))
		}
	}
}

func (r *Redactor) addSecretLocked(v string, minLen int) {
	if len(v) < minLen || v == Redacted {
		return
	}
	if sig := jwtSignature(v); sig != "" {
		v = sig
	}
	added := false
	for _, form := range escapedForms(v) {
		if len(form) >= minLen && !r.known[form] && !strings.Contains(Redacted, form) {
			r.known[form] = true
			r.secrets = append(r.secrets, form)
			added = true
		}
	}
	if added {
		// Longest first, so a secret containing another is removed whole.
		sort.SliceStable(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
	}
}

// escapedForms are the spellings a value takes in URLs, forms and JSON.
func escapedForms(v string) []string {
	forms := []string{v, url.QueryEscape(v), url.PathEscape(v)}
	if b, err := json.Marshal(v); err == nil {
		forms = append(forms, string(b[1:len(b)-1]))
	}
	return forms
}

// RedactPII turns on pseudonyms for names, emails/UPNs and object ids.
func (r *Redactor) RedactPII() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pii == nil {
		r.pii = newPseudonyms()
	}
}

// PIIEnabled reports whether RedactPII is on.
func (r *Redactor) PIIEnabled() bool {
	if r == nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pii != nil
}

// Person registers personal values known from elsewhere (a name, an email,
// an object id) so that, with RedactPII, they are replaced wherever they
// appear. Without RedactPII it does nothing.
func (r *Redactor) Person(values ...string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pii == nil {
		return
	}
	for _, v := range values {
		r.pii.learnValue(v)
	}
}

var (
	// Parameters whose value is secret whatever it looks like.
	neverKeys = `client_secret|refresh_token|code|device_code|code_verifier|password|passwd|assertion|client_assertion|subject_token|actor_token|secret|api_key|apikey|api-key|subscription-key|subscription_key|sig|private_key|hint|secretText`
	// Parameters holding a token: a JWT keeps its claims, anything else goes.
	tokenKeys = `access_token|id_token|token`

	// key=value (forms, URLs, text), "key":"value" (JSON), \"key\":\"value\" (JSON in a JSON string).
	neverForm   = NewLazyRegexp(`(?i)\b(` + neverKeys + `)(=)([^&\s"'<>\\]+)`)
	neverJSON   = NewLazyRegexp(`(?i)("(?:` + neverKeys + `)"\s*:\s*")((?:[^"\\]|\\.)+)`)
	neverJSONEs = NewLazyRegexp(`(?i)(\\"(?:` + neverKeys + `)\\"\s*:\s*\\")((?:[^"\\]|\\[^"])+)`)
	tokenForm   = NewLazyRegexp(`(?i)\b(` + tokenKeys + `)(=)([^&\s"'<>\\]+)`)
	tokenJSON   = NewLazyRegexp(`(?i)("(?:` + tokenKeys + `)"\s*:\s*")((?:[^"\\]|\\.)+)`)
	tokenJSONEs = NewLazyRegexp(`(?i)(\\"(?:` + tokenKeys + `)\\"\s*:\s*\\")((?:[^"\\]|\\[^"])+)`)

	// A compact JWE (five segments) and JWS (three); the header starts with {" (eyJ).
	jwePattern = NewLazyRegexp(`eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)
	jwsPattern = NewLazyRegexp(`eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)
	// A credential after an auth scheme: RFC 7235 token68, then the end, a comma or a space.
	credPattern = NewLazyRegexp(`(?i)\b(bearer|basic|negotiate|ntlm|sharedaccesssignature)(\s+)([A-Za-z0-9._~+/-]+=*)($|\s*,|\s)`)
)

// String redacts s.
func (r *Redactor) String(s string) string {
	if s == "" {
		return s
	}
	if r == nil {
		r = &Redactor{known: map[string]bool{}}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s = r.removeByPatternLocked(s)
	if r.pii != nil {
		s = r.pii.replace(s)
	}
	return s
}

func (r *Redactor) removeSecretsLocked(s string) string {
	// Removing one secret can join its neighbours into another: repeat
	// until nothing known is left (each pass shortens s or ends).
	for range 8 {
		changed := false
		for _, sec := range r.secrets {
			if strings.Contains(s, sec) {
				s = strings.ReplaceAll(s, sec, Redacted)
				changed = true
			}
		}
		if !changed {
			return s
		}
	}
	for _, sec := range r.secrets {
		if strings.Contains(s, sec) {
			return Redacted
		}
	}
	return s
}

func (r *Redactor) removeByPatternLocked(s string) string {
	// Secret parameters go whole first: an assertion JWT loses its claims too.
	s = replaceGroup(s, neverForm, 3, func(v string) string {
		if isErrorNumber(v) {
			return v // Entra's error_uri ...?code=50013: an error number, not a grant
		}
		r.learnForm(v)
		return Redacted
	})
	s = replaceJSONValue(s, neverJSON, func(key, v string) string {
		if isErrorName(key, v) {
			return v // ARM's and Key Vault's "code": "AuthorizationFailed", not a grant
		}
		r.learnEscaped(v)
		return Redacted
	})
	s = replaceGroup(s, neverJSONEs, 2, func(v string) string { r.learnEscaped(v); return Redacted })
	// Tokens lose their signature (and are remembered, so the bare
	// signature is removed anywhere else).
	s = jwePattern.ReplaceAllStringFunc(s, func(m string) string {
		r.addSecretLocked(m[strings.IndexByte(m, '.')+1:], learnedMin)
		return m[:strings.IndexByte(m, '.')+1] + Redacted
	})
	s = jwsPattern.ReplaceAllStringFunc(s, func(m string) string {
		r.addSecretLocked(m, learnedMin)
		return StripSignature(m)
	})
	// Registered and learned secrets, after tokens: a known signature still
	// attached to its token is stripped above, leaving the claims readable.
	s = r.removeSecretsLocked(s)
	opaque := func(v string) string {
		if isStrippedJWT(v) || v == Redacted {
			return v
		}
		r.learnEscaped(v)
		return Redacted
	}
	s = replaceGroup(s, tokenForm, 3, func(v string) string {
		if isStrippedJWT(v) || v == Redacted {
			return v
		}
		r.learnForm(v)
		return Redacted
	})
	s = replaceGroup(s, tokenJSON, 2, opaque)
	s = replaceGroup(s, tokenJSONEs, 2, opaque)
	s = replaceGroup(s, credPattern, 3, func(v string) string {
		// Short words after "bearer " are prose, not credentials; nor are flags.
		if len(v) < 8 || len(v) < learnedMin && isWord(v) || strings.HasPrefix(v, "--") {
			return v
		}
		return opaque(v)
	})
	// A value learned above may also appear bare elsewhere in s.
	return r.removeSecretsLocked(s)
}

// learnForm remembers a form or URL value as a secret, decoded too.
func (r *Redactor) learnForm(v string) {
	r.addSecretLocked(v, learnedMin)
	if dec, err := url.QueryUnescape(v); err == nil && dec != v {
		r.addSecretLocked(dec, learnedMin)
	}
}

// learnEscaped remembers a JSON string value as a secret, in its decoded form too.
func (r *Redactor) learnEscaped(v string) {
	r.addSecretLocked(v, learnedMin)
	var dec string
	if err := json.Unmarshal([]byte(`"`+v+`"`), &dec); err == nil && dec != v {
		r.addSecretLocked(dec, learnedMin)
	}
}

// replaceGroup replaces submatch group g of each match of re with fn(group).
func replaceGroup(s string, lre *LazyRegexp, g int, fn func(string) string) string {
	re := lre.Regexp()
	idx := re.FindAllStringSubmatchIndex(s, -1)
	if idx == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range idx {
		start, end := m[2*g], m[2*g+1]
		if start < 0 {
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(fn(s[start:end]))
		last = end
	}
	b.WriteString(s[last:])
	return b.String()
}

// replaceJSONValue is replaceGroup for a pattern whose group 1 is the
// `"key": "` prefix and group 2 the value; fn sees both.
func replaceJSONValue(s string, lre *LazyRegexp, fn func(prefix, v string) string) string {
	idx := lre.Regexp().FindAllStringSubmatchIndex(s, -1)
	if idx == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range idx {
		b.WriteString(s[last:m[4]])
		b.WriteString(fn(s[m[2]:m[3]], s[m[4]:m[5]]))
		last = m[5]
	}
	b.WriteString(s[last:])
	return b.String()
}

// isErrorName reports an error code in a JSON "code" field: a word in
// CamelCase (ARM's AuthorizationFailed, Key Vault's Forbidden). An OAuth
// authorization code is never letters alone.
func isErrorName(prefix, v string) bool {
	if !strings.HasPrefix(strings.ToLower(prefix), `"code"`) || len(v) < 4 || len(v) > 64 || v[0] < 'A' || v[0] > 'Z' {
		return false
	}
	for _, c := range v {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

// isErrorNumber reports whether v is a short number: no grant or secret is.
func isErrorNumber(v string) bool {
	if len(v) == 0 || len(v) > 9 {
		return false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func isWord(v string) bool {
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// isStrippedJWT reports whether v is "header.claims." — a token already
// without its signature.
func isStrippedJWT(v string) bool {
	if !strings.HasPrefix(v, "eyJ") || !strings.HasSuffix(v, ".") || strings.Count(v, ".") != 2 {
		return false
	}
	return !strings.Contains(v, "..")
}

// StripSignature turns a compact JWS into "header.claims." — what the token
// says, without what proves it.
func StripSignature(jwt string) string {
	i := strings.LastIndexByte(jwt, '.')
	if i < 0 || strings.Count(jwt, ".") != 2 {
		return jwt
	}
	return jwt[:i+1]
}

func jwtSignature(s string) string {
	if !strings.HasPrefix(s, "eyJ") || strings.Count(s, ".") != 2 {
		return ""
	}
	sig := s[strings.LastIndexByte(s, '.')+1:]
	if len(sig) < 16 {
		return ""
	}
	return sig
}

// Fingerprint is a short, stable, non-reversible name for a secret value.
func Fingerprint(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return "sha256:" + hex.EncodeToString(sum[:])[:12]
}

// Prefix redacts the first n bytes of s for display. When s was cut (it is
// itself a prefix of something longer), a registered secret cut in half at
// its end is removed too: half a secret is still too much.
func (r *Redactor) Prefix(s string, n int, cut bool) string {
	out := r.String(s)
	if cut {
		out = r.trimPartialSecret(out)
	}
	if len(out) > n {
		out = truncateUTF8(out, n)
		out = r.trimPartialSecret(out)
	}
	return out
}

func (r *Redactor) trimPartialSecret(s string) string {
	if r == nil {
		return s
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, sec := range r.secrets {
		for k := len(sec) - 1; k >= 4; k-- {
			if strings.HasSuffix(s, sec[:k]) {
				return s[:len(s)-k] + Redacted
			}
		}
	}
	// A JWT cut inside its signature: the regexp needs the whole token,
	// but a signature's first bytes are as secret as the rest.
	if i := strings.LastIndex(s, "eyJ"); i >= 0 {
		tail := s[i:]
		if strings.Count(tail, ".") == 2 && !strings.HasSuffix(tail, ".") && isB64Dots(tail) {
			return s[:i] + StripSignature(tail)
		}
	}
	return s
}

func isB64Dots(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// sensitiveHeader names headers whose whole value is a credential.
var sensitiveHeader = NewLazyRegexp(`(?i)^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api-key|apikey|ocp-apim-subscription-key|x-functions-key|.*(secret|password|token|signature|credential).*)$`)

// Header redacts one header value. Authorization keeps its scheme and a
// token's claims; other credential headers lose their value entirely.
func (r *Redactor) Header(name, value string) string {
	if sensitiveHeader.MatchString(name) {
		if strings.HasSuffix(strings.ToLower(name), "authorization") {
			return r.String(redactAuthorization(value))
		}
		if value == "" {
			return ""
		}
		return Redacted
	}
	return r.String(value)
}

// Headers returns a redacted copy of h.
func (r *Redactor) Headers(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		for _, v := range vs {
			out[k] = append(out[k], r.Header(k, v))
		}
	}
	return out
}

func redactAuthorization(v string) string {
	scheme, cred, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok {
		if v == "" {
			return ""
		}
		return Redacted
	}
	cred = strings.TrimSpace(cred)
	switch {
	case cred == "":
		return scheme + " "
	case isStrippedJWT(cred):
		return scheme + " " + cred
	case jwtSignature(cred) != "" && !strings.Contains(cred, " "):
		return scheme + " " + StripSignature(cred)
	}
	return scheme + " " + Redacted
}

// Writer returns a writer that redacts each write before passing it on.
// Writes are redacted one at a time: callers write whole lines or documents.
func (r *Redactor) Writer(w io.Writer) io.Writer { return &redactingWriter{r: r, w: w} }

type redactingWriter struct {
	r *Redactor
	w io.Writer
}

func (rw *redactingWriter) Write(p []byte) (int, error) {
	out := rw.r.String(string(p))
	if _, err := io.WriteString(rw.w, out); err != nil {
		return 0, err
	}
	return len(p), nil
}
