package wire

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Redactor is the one place every string passes before it leaves the
// process. JWTs lose their signature; registered secrets and the values of
// secret-bearing parameters disappear entirely.
type Redactor struct {
	mu      sync.RWMutex
	secrets []string
}

// NewRedactor returns a Redactor that knows no secrets yet.
func NewRedactor() *Redactor { return &Redactor{} }

// Secret registers a value that must never be shown (client secret, refresh
// token, authorization code). Values shorter than 6 bytes are ignored: they
// would redact ordinary words.
func (r *Redactor) Secret(values ...string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range values {
		v = strings.TrimSpace(v)
		if len(v) < 6 {
			continue
		}
		// A token keeps its claims visible: only its signature is secret.
		if sig := jwtSignature(v); sig != "" {
			v = sig
		}
		r.secrets = append(r.secrets, v)
	}
	// Longest first, so a secret containing another is removed whole.
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

// Redacted marks where something was removed.
const Redacted = "[redacted]"

var (
	// header.claims.signature, each base64url; the header starts with {" (eyJ).
	jwtPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)
	// Form and JSON parameters that carry secrets whatever their value.
	paramPattern  = regexp.MustCompile(`(?i)\b((?:client_secret|refresh_token|assertion|code|device_code|client_assertion|password|access_token|id_token)(?:=|"\s*:\s*"))([^&"\s]+)`)
	bearerPattern = regexp.MustCompile(`(?i)(bearer\s+)([A-Za-z0-9._~+/=-]{16,})`)
)

// String redacts s.
func (r *Redactor) String(s string) string {
	if s == "" {
		return s
	}
	if r != nil {
		r.mu.RLock()
		for _, sec := range r.secrets {
			if strings.Contains(s, sec) {
				s = strings.ReplaceAll(s, sec, Redacted)
			}
		}
		r.mu.RUnlock()
	}
	s = jwtPattern.ReplaceAllStringFunc(s, StripSignature)
	s = paramPattern.ReplaceAllStringFunc(s, func(m string) string {
		sub := paramPattern.FindStringSubmatch(m)
		if strings.HasPrefix(sub[2], "eyJ") && strings.Count(sub[2], ".") == 2 && strings.HasSuffix(sub[2], ".") {
			return m // already a signature-less JWT: claims are fine to show
		}
		if sub[2] == Redacted || strings.HasSuffix(sub[2], ".") {
			return m
		}
		return sub[1] + Redacted
	})
	s = bearerPattern.ReplaceAllStringFunc(s, func(m string) string {
		sub := bearerPattern.FindStringSubmatch(m)
		if strings.Count(sub[2], ".") == 2 && strings.HasSuffix(sub[2], ".") {
			return m
		}
		return sub[1] + Redacted
	})
	return s
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
