package wire

import (
	"errors"
	"fmt"
	"strings"
)

// Challenge is one authentication challenge of a WWW-Authenticate header
// (RFC 7235 §2.1): a scheme followed by either a token68 or auth-params.
type Challenge struct {
	Scheme  string // as sent; compare with Is
	Token68 string
	Params  []AuthParam // in the order sent, names lower-cased, first of each name kept
}

// AuthParam is one name=value pair of a challenge.
type AuthParam struct {
	Name  string // lower-cased: parameter names are case-insensitive
	Value string // unquoted, escapes resolved
}

// Is reports whether the challenge uses scheme (case-insensitive).
func (c Challenge) Is(scheme string) bool { return strings.EqualFold(c.Scheme, scheme) }

// Param returns the value of the named parameter (case-insensitive).
func (c Challenge) Param(name string) (string, bool) {
	for _, p := range c.Params {
		if strings.EqualFold(p.Name, name) {
			return p.Value, true
		}
	}
	return "", false
}

// String renders the challenge canonically: every value quoted, quotes and
// backslashes escaped. Parsing the result gives the same challenge back.
func (c Challenge) String() string {
	var b strings.Builder
	b.WriteString(c.Scheme)
	if c.Token68 != "" {
		b.WriteByte(' ')
		b.WriteString(c.Token68)
		return b.String()
	}
	for i, p := range c.Params {
		if i == 0 {
			b.WriteByte(' ')
		} else {
			b.WriteString(", ")
		}
		b.WriteString(p.Name)
		b.WriteString(`="`)
		for j := 0; j < len(p.Value); j++ {
			if p.Value[j] == '"' || p.Value[j] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(p.Value[j])
		}
		b.WriteByte('"')
	}
	return b.String()
}

// Bounds on what a header may make the parser hold: a hostile server
// cannot make c7doctor keep more than this.
const (
	MaxWWWAuthenticateLen = 16 << 10 // bytes of one header value
	MaxChallenges         = 32       // over all header values
	MaxAuthParams         = 32       // per challenge
)

// ParseWWWAuthenticate parses every challenge of every WWW-Authenticate
// header value (RFC 7235 §4.1): several challenges in one value, several
// values, quoted strings with escapes, token68. It never panics and runs in
// linear time. The error, when not nil, names every departure from the RFC;
// the challenges are everything that could still be read (a value that
// goes wrong midway keeps the challenges and parameters before the fault).
func ParseWWWAuthenticate(values []string) ([]Challenge, error) {
	var out []Challenge
	var errs []error
	for i, v := range values {
		if len(out) >= MaxChallenges {
			errs = append(errs, fmt.Errorf("www-authenticate: more than %d challenges, the rest ignored", MaxChallenges))
			break
		}
		if len(v) > MaxWWWAuthenticateLen {
			errs = append(errs, fmt.Errorf("www-authenticate: header %d: %d bytes, longer than %d: ignored", i+1, len(v), MaxWWWAuthenticateLen))
			continue
		}
		p := &authParser{s: v}
		cs, err := p.challenges(MaxChallenges - len(out))
		out = append(out, cs...)
		if err != nil {
			if len(values) > 1 {
				err = fmt.Errorf("www-authenticate: header %d: %w", i+1, err)
			} else {
				err = fmt.Errorf("www-authenticate: %w", err)
			}
			errs = append(errs, err)
		}
	}
	return out, errors.Join(errs...)
}

type authParser struct {
	s     string
	i     int
	loose []string // tolerated departures, reported after the value is read
}

func (p *authParser) eof() bool  { return p.i >= len(p.s) }
func (p *authParser) peek() byte { return p.s[p.i] }

func (p *authParser) errorf(format string, args ...any) error {
	return fmt.Errorf("byte %d: %s", p.i+1, fmt.Sprintf(format, args...))
}

// skipOWS skips optional whitespace (SP / HTAB).
func (p *authParser) skipOWS() {
	for !p.eof() && (p.peek() == ' ' || p.peek() == '\t') {
		p.i++
	}
}

// skipListSeparators skips whitespace and empty list elements (",  ,").
func (p *authParser) skipListSeparators() {
	for !p.eof() && (p.peek() == ' ' || p.peek() == '\t' || p.peek() == ',') {
		p.i++
	}
}

func (p *authParser) token() string {
	start := p.i
	for !p.eof() && isTchar(p.peek()) {
		p.i++
	}
	return p.s[start:p.i]
}

func (p *authParser) challenges(room int) ([]Challenge, error) {
	var out []Challenge
	for {
		p.skipListSeparators()
		if p.eof() {
			return out, p.looseErr()
		}
		if len(out) >= room {
			return out, fmt.Errorf("more than %d challenges, the rest ignored", MaxChallenges)
		}
		c, err := p.challenge()
		if c.Scheme != "" {
			out = append(out, c)
		}
		if err != nil {
			return out, errors.Join(err, p.looseErr())
		}
	}
}

// challenge reads one challenge starting at a scheme.
func (p *authParser) challenge() (Challenge, error) {
	scheme := p.token()
	if scheme == "" {
		return Challenge{}, p.errorf("expected an auth-scheme, found %s", describeByte(p.peek()))
	}
	c := Challenge{Scheme: scheme}
	if p.eof() || p.peek() == ',' {
		return c, nil
	}
	if p.peek() != ' ' && p.peek() != '\t' {
		return c, p.errorf("expected a space after the scheme %q, found %s", scheme, describeByte(p.peek()))
	}
	p.skipOWS()
	if p.eof() || p.peek() == ',' {
		return c, nil
	}
	if t68, ok := p.token68(); ok {
		c.Token68 = t68
		return c, nil
	}
	seen := map[string]bool{}
	for {
		name, value, err := p.param()
		if err != nil {
			return c, err
		}
		switch {
		case seen[name]:
			p.loose = append(p.loose, fmt.Sprintf("parameter %q repeated in the %s challenge: the first is kept", name, scheme))
		case len(c.Params) >= MaxAuthParams:
			return c, p.errorf("more than %d parameters in the %s challenge", MaxAuthParams, scheme)
		default:
			seen[name] = true
			c.Params = append(c.Params, AuthParam{Name: name, Value: value})
		}
		p.skipOWS()
		if p.eof() {
			return c, nil
		}
		if p.peek() != ',' {
			return c, p.errorf("expected ',' after the parameter %q, found %s", name, describeByte(p.peek()))
		}
		p.skipListSeparators()
		if p.eof() || !p.atParam() {
			return c, nil // what follows is the next challenge
		}
	}
}

// token68 reads a token68 (RFC 7235 §2.1) when the rest of the list element
// is exactly one; otherwise it leaves the position alone.
func (p *authParser) token68() (string, bool) {
	j := p.i
	for j < len(p.s) && isToken68Char(p.s[j]) {
		j++
	}
	if j == p.i {
		return "", false
	}
	for j < len(p.s) && p.s[j] == '=' {
		j++
	}
	end := j
	for j < len(p.s) && (p.s[j] == ' ' || p.s[j] == '\t') {
		j++
	}
	if j < len(p.s) && p.s[j] != ',' {
		return "", false
	}
	t := p.s[p.i:end]
	p.i = j
	return t, true
}

// atParam reports whether the position starts "token BWS =", an auth-param
// rather than the next challenge's scheme.
func (p *authParser) atParam() bool {
	j := p.i
	for j < len(p.s) && isTchar(p.s[j]) {
		j++
	}
	if j == p.i {
		return false
	}
	for j < len(p.s) && (p.s[j] == ' ' || p.s[j] == '\t') {
		j++
	}
	return j < len(p.s) && p.s[j] == '='
}

// param reads name BWS "=" BWS ( token / quoted-string ).
func (p *authParser) param() (string, string, error) {
	name := p.token()
	if name == "" {
		return "", "", p.errorf("expected a parameter name, found %s", describeByte(p.peek()))
	}
	name = strings.ToLower(name)
	p.skipOWS()
	if p.eof() || p.peek() != '=' {
		found := "the end"
		if !p.eof() {
			found = describeByte(p.peek())
		}
		return name, "", p.errorf("expected '=' after the parameter name %q, found %s", name, found)
	}
	p.i++
	p.skipOWS()
	if p.eof() {
		return name, "", p.errorf("the parameter %q has no value", name)
	}
	if p.peek() == '"' {
		v, err := p.quoted()
		return name, v, err
	}
	v, err := p.bareValue(name)
	return name, v, err
}

// quoted reads a quoted-string, resolving quoted-pairs.
func (p *authParser) quoted() (string, error) {
	start := p.i
	p.i++ // opening quote
	var b strings.Builder
	for !p.eof() {
		c := p.peek()
		switch {
		case c == '"':
			p.i++
			return b.String(), nil
		case c == '\\':
			p.i++
			if p.eof() {
				return b.String(), p.errorf("a backslash ends the header inside a quoted string")
			}
			e := p.peek()
			if isCTL(e) && e != '\t' {
				return b.String(), p.errorf("an escaped control character %s in a quoted string", describeByte(e))
			}
			b.WriteByte(e)
			p.i++
		case isCTL(c) && c != '\t':
			return b.String(), p.errorf("a control character %s in a quoted string", describeByte(c))
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	p.i = start
	return b.String(), p.errorf("a quoted string is not closed")
}

// bareValue reads an unquoted value. RFC 7235 allows only a token; servers
// also send unquoted URLs, which clients tend to accept, so those are read
// and reported as a departure rather than refused.
func (p *authParser) bareValue(name string) (string, error) {
	start := p.i
	for !p.eof() {
		c := p.peek()
		if c == ',' || c == ' ' || c == '\t' {
			break
		}
		if c == '"' || isCTL(c) {
			return p.s[start:p.i], p.errorf("%s inside the unquoted value of %q", describeByte(c), name)
		}
		p.i++
	}
	v := p.s[start:p.i]
	if v == "" {
		return "", p.errorf("the parameter %q has no value", name)
	}
	for i := 0; i < len(v); i++ {
		if !isTchar(v[i]) {
			p.loose = append(p.loose, fmt.Sprintf("the value of %q is not quoted but holds %q, which only a quoted string may carry", name, v[i:i+1]))
			break
		}
	}
	return v, nil
}

func (p *authParser) looseErr() error {
	if len(p.loose) == 0 {
		return nil
	}
	return errors.New(strings.Join(p.loose, "; "))
}

func isCTL(c byte) bool { return c < 0x20 || c == 0x7f }

// isTchar is RFC 7230 tchar.
func isTchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func isToken68Char(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~+/", c) >= 0
}

func describeByte(c byte) string {
	if c >= 0x21 && c < 0x7f {
		return fmt.Sprintf("%q", string(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}
