// Package auth reads and checks the tokens of the gateway's journey: JWT
// decoding for display (never trusting it), signature verification against
// a tenant's JWKS, Entra's error bodies, and the MSAL public client that
// gets a user a token for the gateway.
package auth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/c7doctor/c7doctor/wire"
)

// MaxTokenSize bounds what Decode accepts. Entra tokens are a few KiB (tens
// with many group claims); APIM refuses headers long before this.
const MaxTokenSize = 256 << 10

// Version of an Entra token, from its ver claim or, failing that, its issuer.
type Version string

const (
	V1         Version = "1.0"
	V2         Version = "2.0"
	VerUnknown Version = ""
)

// Kind is what a token is for; stable identifiers, used in JSON output.
type Kind string

const (
	KindAccess  Kind = "access"   // a delegated (user) access token
	KindAppOnly Kind = "app-only" // an access token for an app, no user: roles, no scp
	KindID      Kind = "id"       // an OpenID Connect ID token
	KindGraph   Kind = "graph"    // a Microsoft Graph access token (nonce header): only Graph can verify it
	KindUnknown Kind = "unknown"  // a JWT that is not recognisably Entra's
)

// GraphAppID is Microsoft Graph's application id, a Graph token's aud in v2.
const GraphAppID = "00000003-0000-0000-c000-000000000000"

// Header is the JOSE header of a token.
type Header struct {
	Alg   string `json:"alg,omitempty"`
	Typ   string `json:"typ,omitempty"`
	Kid   string `json:"kid,omitempty"`
	X5t   string `json:"x5t,omitempty"`
	Cty   string `json:"cty,omitempty"`
	Enc   string `json:"enc,omitempty"`   // set in a JWE header
	Nonce string `json:"nonce,omitempty"` // Graph tokens: hashed before signing, so only Graph can verify
}

// Token is a decoded compact JWS. Nothing in it is verified: Decode is for
// display and diagnosis; Verify checks the signature.
type Token struct {
	// Raw is the token as given. Never print it: Unsigned is what may be shown.
	Raw       string
	Header    Header
	Claims    Claims
	RawHeader json.RawMessage // the header's JSON, as sent
	RawClaims json.RawMessage // the payload's JSON, as sent
	Version   Version
	Kind      Kind
	// SignatureLen is the decoded signature's length in bytes (0: unsigned).
	SignatureLen int
	// Warnings are oddities seen while decoding (a claim of the wrong type,
	// alg none, duplicate claims…): the token still decoded.
	Warnings []string
}

// Unsigned is "header.claims." — what the token says, without its proof.
func (t *Token) Unsigned() string { return wire.StripSignature(t.Raw) }

// Fingerprint names the token without revealing it.
func (t *Token) Fingerprint() string { return wire.Fingerprint(t.Raw) }

// Graph reports a Microsoft Graph token: its header carries a nonce, which
// Graph hashes before checking, so its signature verifies for no one else.
func (t *Token) Graph() bool { return t.Kind == KindGraph }

// AppOnly reports a token issued to an application without a user.
func (t *Token) AppOnly() bool {
	c := &t.Claims
	if c.Idtyp == "app" {
		return true
	}
	if c.Idtyp == "user" {
		return false
	}
	return len(c.Scp) == 0 && len(c.Roles) > 0
}

// Describe says what the token is in words: "Entra v2 access token".
func (t *Token) Describe() string {
	ver := ""
	switch t.Version {
	case V1:
		ver = "v1 "
	case V2:
		ver = "v2 "
	}
	switch t.Kind {
	case KindAccess:
		return "Entra " + ver + "access token"
	case KindAppOnly:
		return "Entra " + ver + "app-only access token (no user: roles, no scp)"
	case KindID:
		return "Entra " + ver + "ID token (proves a sign-in to the client; not an access token for an API)"
	case KindGraph:
		return "Microsoft Graph " + ver + "access token (nonce header: only Graph can verify it)"
	}
	return "JWT (not recognisably issued by Entra)"
}

// DecodeErrorKind sorts why a string is not a token we can read.
type DecodeErrorKind string

const (
	ErrEmpty     DecodeErrorKind = "empty"
	ErrTooLarge  DecodeErrorKind = "too-large"
	ErrJWE       DecodeErrorKind = "jwe"    // five parts: encrypted, only its audience can read it
	ErrOpaque    DecodeErrorKind = "opaque" // no dots: a reference token, a refresh token, a secret…
	ErrParts     DecodeErrorKind = "parts"  // neither three nor five parts
	ErrBase64    DecodeErrorKind = "base64"
	ErrJSON      DecodeErrorKind = "json"
	ErrNotObject DecodeErrorKind = "not-object"
)

// DecodeError says why a string is not a readable JWT.
type DecodeError struct {
	Kind   DecodeErrorKind
	Part   string // "header", "claims" or "signature" when one part is at fault
	Detail string
	Err    error
}

func (e *DecodeError) Error() string {
	msg := "token: " + e.Detail
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *DecodeError) Unwrap() error { return e.Err }

// Explain is a sentence or two for a person about what they gave.
func (e *DecodeError) Explain() string {
	switch e.Kind {
	case ErrEmpty:
		return "Nothing to decode: the input was empty."
	case ErrTooLarge:
		return fmt.Sprintf("The input is larger than %d KiB: no Entra token is that large.", MaxTokenSize>>10)
	case ErrJWE:
		return "This is an encrypted token (JWE, five parts): only the resource it was issued for holds the key to read it. " +
			"Entra encrypts tokens for some first-party APIs; a token for your gateway app is a signed JWT (three parts). Request one for api://<gateway-app-id>/Mcp.Gateway.Access."
	case ErrOpaque:
		return "This is not a JWT: an opaque string such as a refresh token, a client secret, an authorization code or a personal access token. " +
			"Entra access tokens for your own APIs are JWTs of three base64url parts separated by dots."
	case ErrParts:
		return "A JWT has three base64url parts separated by dots (a JWE has five); this has a different count: it was probably cut or pasted with extra text."
	case ErrBase64:
		return "The " + e.Part + " part is not valid base64url: the token was probably cut, wrapped or altered when copied."
	case ErrJSON, ErrNotObject:
		return "The " + e.Part + " part decodes, but not to a JSON object: the token was cut or altered, or this is not a JWT."
	}
	return e.Detail
}

func decodeErr(kind DecodeErrorKind, part, detail string, err error) *DecodeError {
	return &DecodeError{Kind: kind, Part: part, Detail: detail, Err: err}
}

// Decode reads a compact JWS without verifying it. The input must be the
// bare token: Extract takes one out of what people paste.
func Decode(raw string) (*Token, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, decodeErr(ErrEmpty, "", "empty input", nil)
	}
	if len(raw) > MaxTokenSize {
		return nil, decodeErr(ErrTooLarge, "", fmt.Sprintf("%d bytes is more than the %d a token may have", len(raw), MaxTokenSize), nil)
	}
	parts := strings.Split(raw, ".")
	switch len(parts) {
	case 3:
	case 5:
		return nil, decodeErr(ErrJWE, "", "encrypted token (JWE, five parts)", nil)
	case 1:
		return nil, decodeErr(ErrOpaque, "", "not a JWT: no dots", nil)
	default:
		return nil, decodeErr(ErrParts, "", fmt.Sprintf("expected 3 dot-separated parts, got %d", len(parts)), nil)
	}
	t := &Token{Raw: raw}
	hdr, err := decodeSegment(parts[0])
	if err != nil {
		if !strings.HasPrefix(raw, "eyJ") {
			// Entra's refresh tokens and codes have dots too ("0.AXEA…").
			return nil, decodeErr(ErrOpaque, "", `not a JWT: a JWT starts with eyJ (the base64url of {")`, nil)
		}
		return nil, decodeErr(ErrBase64, "header", "header is not base64url", err)
	}
	if err := checkObject(hdr); err != nil {
		return nil, decodeErr(kindOf(err), "header", "header is not a JSON object", err)
	}
	payload, err := decodeSegment(parts[1])
	if err != nil {
		return nil, decodeErr(ErrBase64, "claims", "claims are not base64url", err)
	}
	if err := checkObject(payload); err != nil {
		return nil, decodeErr(kindOf(err), "claims", "claims are not a JSON object", err)
	}
	sig, err := decodeSegment(parts[2])
	if err != nil {
		return nil, decodeErr(ErrBase64, "signature", "signature is not base64url", err)
	}
	t.RawHeader, t.RawClaims, t.SignatureLen = hdr, payload, len(sig)
	t.Warnings = append(t.Warnings, parseHeader(hdr, &t.Header)...)
	t.Warnings = append(t.Warnings, t.Claims.parse(payload)...)
	t.Version = versionOf(&t.Claims)
	t.Kind = kindOfToken(t)
	t.Warnings = append(t.Warnings, t.structuralWarnings()...)
	return t, nil
}

// decodeSegment accepts base64url with or without padding; Entra never pads,
// but people's tools sometimes do.
func decodeSegment(s string) ([]byte, error) {
	if strings.ContainsAny(s, "+/") {
		return nil, fmt.Errorf("standard base64 characters (+ or /) in a base64url segment")
	}
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

type notObjectError struct{ got string }

func (e notObjectError) Error() string { return "got JSON " + e.got }

func kindOf(err error) DecodeErrorKind {
	if _, ok := err.(notObjectError); ok {
		return ErrNotObject
	}
	return ErrJSON
}

// checkObject requires exactly one JSON object.
func checkObject(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("text after the JSON object")
	}
	if _, ok := v.(map[string]any); !ok {
		return notObjectError{got: jsonKind(v)}
	}
	return nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	}
	return "value"
}

func parseHeader(b []byte, h *Header) []string {
	fields, warns := rawFields(b, "header")
	str := func(name string, dst *string) {
		if v, ok := fields[name]; ok {
			if err := json.Unmarshal(v, dst); err != nil {
				warns = append(warns, fmt.Sprintf("header %s is not a string", name))
			}
		}
	}
	str("alg", &h.Alg)
	str("typ", &h.Typ)
	str("kid", &h.Kid)
	str("x5t", &h.X5t)
	str("cty", &h.Cty)
	str("enc", &h.Enc)
	str("nonce", &h.Nonce)
	return warns
}

// rawFields splits an object into its members, noting duplicates: JSON
// parsers disagree on which duplicate wins, so a token with one is suspect.
func rawFields(b []byte, what string) (map[string]json.RawMessage, []string) {
	out := map[string]json.RawMessage{}
	var warns []string
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		return out, nil
	}
	seen := map[string]bool{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return out, warns
		}
		k, _ := kt.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return out, warns
		}
		if seen[k] {
			warns = append(warns, fmt.Sprintf("%s member %q appears more than once: readers may disagree on its value", what, k))
		}
		seen[k] = true
		out[k] = v
	}
	return out, warns
}

func versionOf(c *Claims) Version {
	switch c.Ver {
	case "1.0":
		return V1
	case "2.0":
		return V2
	}
	switch IssuerVersion(c.Iss) {
	case V1:
		return V1
	case V2:
		return V2
	}
	return VerUnknown
}

// IssuerVersion tells v1 issuers (https://sts.windows.net/<tid>/) from v2
// ones (https://<authority-host>/<tid>/v2.0).
func IssuerVersion(iss string) Version {
	switch {
	case strings.HasPrefix(iss, "https://sts.windows.net/"), strings.HasPrefix(iss, "https://sts.chinacloudapi.cn/"):
		return V1
	case strings.HasSuffix(strings.TrimRight(iss, "/"), "/v2.0"):
		return V2
	}
	return VerUnknown
}

func kindOfToken(t *Token) Kind {
	c := &t.Claims
	entra := c.Tid != "" || c.Ver != "" || IssuerVersion(c.Iss) != VerUnknown
	switch {
	case t.Header.Nonce != "":
		return KindGraph
	case !entra:
		return KindUnknown
	case t.AppOnly():
		return KindAppOnly
	case len(c.Scp) > 0:
		return KindAccess
	case c.Azp == "" && c.Appid == "" && len(c.Roles) == 0:
		// ID tokens name no client app: their audience is the client.
		return KindID
	}
	return KindAccess
}

func (t *Token) structuralWarnings() []string {
	var w []string
	if strings.EqualFold(t.Header.Alg, "none") || t.Header.Alg == "" {
		w = append(w, "the token is unsigned (alg "+quoteOr(t.Header.Alg, "missing")+"): no gateway accepts it")
	} else if t.SignatureLen == 0 {
		w = append(w, "the signature part is empty: the token was cut when copied, or was never signed")
	}
	if t.Header.Alg != "" && !strings.EqualFold(t.Header.Alg, "none") && !strings.HasPrefix(t.Header.Alg, "RS") && !strings.HasPrefix(t.Header.Alg, "PS") && !strings.HasPrefix(t.Header.Alg, "ES") {
		w = append(w, "alg "+t.Header.Alg+" is not one Entra signs with (RS256)")
	}
	if t.Kind == KindGraph || (len(t.Claims.Aud) > 0 && IsGraphAudience(t.Claims.Aud[0])) {
		w = append(w, "this is a Microsoft Graph token: its signature can be checked only by Graph, and no API but Graph accepts it")
	}
	if t.Kind == KindID {
		w = append(w, "this is an ID token: it proves a sign-in to the client app and is not accepted as an access token by APIM")
	}
	if t.Claims.Ver != "" && IssuerVersion(t.Claims.Iss) != VerUnknown && string(IssuerVersion(t.Claims.Iss)) != t.Claims.Ver {
		w = append(w, fmt.Sprintf("ver %q does not match the issuer's form %q", t.Claims.Ver, t.Claims.Iss))
	}
	return w
}

func quoteOr(s, alt string) string {
	if s == "" {
		return alt
	}
	return fmt.Sprintf("%q", s)
}

// IsGraphAudience reports Microsoft Graph's audiences in any of its forms.
func IsGraphAudience(aud string) bool {
	a := strings.TrimRight(strings.ToLower(aud), "/")
	return a == GraphAppID || a == "https://graph.microsoft.com" || a == "https://graph.windows.net" ||
		a == "00000002-0000-0000-c000-000000000000" || a == "https://graph.microsoft.us" || a == "https://microsoftgraph.chinacloudapi.cn"
}

// TimeClaim reads a claim that holds a NumericDate as a time: iat, nbf and
// exp as parsed, any other (auth_time, xms_tcdt…) when it is a whole number
// of seconds within the years 1970 to 9999.
func (t *Token) TimeClaim(name string) (time.Time, bool) {
	var d *NumericDate
	switch name {
	case "iat":
		d = t.Claims.Iat
	case "nbf":
		d = t.Claims.Nbf
	case "exp":
		d = t.Claims.Exp
	default:
		var n json.Number
		if err := json.Unmarshal(t.Claims.Raw[name], &n); err != nil {
			return time.Time{}, false
		}
		f, err := n.Int64()
		if err != nil || f < 0 || f > 253402300799 {
			return time.Time{}, false
		}
		return time.Unix(f, 0), true
	}
	if d == nil {
		return time.Time{}, false
	}
	return d.Time, true
}

// ClaimNames returns the token's claim names in the order they were sent.
func (t *Token) ClaimNames() []string { return memberOrder(t.RawClaims) }

// HeaderNames returns the header's member names in the order they were sent.
func (t *Token) HeaderNames() []string { return memberOrder(t.RawHeader) }

func memberOrder(b []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			break
		}
		k, _ := kt.(string)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			break
		}
		if !seen[k] {
			out = append(out, k)
			seen[k] = true
		}
	}
	return out
}
