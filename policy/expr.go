package policy

import (
	"strings"
)

// scanExpr finds the end of a policy expression starting at s[i] == '@',
// s[i+1] being '(' or '{'. It follows C# string, verbatim, interpolated and
// character literals so that a ')' or '}' inside a string does not end it.
func scanExpr(s string, i int) (end int, ok bool) {
	if i+1 >= len(s) || s[i] != '@' || (s[i+1] != '(' && s[i+1] != '{') {
		return i, false
	}
	return scanCode(s, i+1, 0)
}

// scanCode reads balanced code from the opening bracket at s[i]; depth
// guards against pathological nesting.
func scanCode(s string, i, depth int) (int, bool) {
	if depth > 200 {
		return i, false
	}
	var stack []byte
	for i < len(s) {
		c := s[i]
		switch c {
		case '(', '{', '[':
			stack = append(stack, closer(c))
			i++
		case ')', '}', ']':
			if len(stack) == 0 || stack[len(stack)-1] != c {
				return i, false
			}
			stack = stack[:len(stack)-1]
			i++
			if len(stack) == 0 {
				return i, true
			}
		case '"', '$', '@', '\'':
			j, ok := scanLiteral(s, i, depth)
			if !ok {
				return j, false
			}
			i = j
		case '/':
			if strings.HasPrefix(s[i:], "//") {
				nl := strings.IndexByte(s[i:], '\n')
				if nl < 0 {
					return len(s), false
				}
				i += nl
			} else if strings.HasPrefix(s[i:], "/*") {
				e := strings.Index(s[i+2:], "*/")
				if e < 0 {
					return len(s), false
				}
				i += 2 + e + 2
			} else {
				i++
			}
		default:
			i++
		}
	}
	return i, false
}

func closer(c byte) byte {
	switch c {
	case '(':
		return ')'
	case '{':
		return '}'
	}
	return ']'
}

// scanLiteral reads a string or character literal at s[i]; a '$' or '@'
// that does not start one is a single character.
func scanLiteral(s string, i, depth int) (int, bool) {
	j := i
	interp, verbatim := false, false
	for j < len(s) && (s[j] == '$' || s[j] == '@') {
		interp = interp || s[j] == '$'
		verbatim = verbatim || s[j] == '@'
		j++
	}
	if j >= len(s) {
		return j, j > i
	}
	if s[j] == '\'' && j == i {
		// character literal: 'x', '\'', '\u0041'
		k := j + 1
		for k < len(s) && s[k] != '\'' {
			if s[k] == '\\' {
				k++
			}
			k++
		}
		return min(k+1, len(s)), k < len(s)
	}
	if s[j] != '"' {
		return max(j, i+1), true
	}
	j++
	for j < len(s) {
		c := s[j]
		switch {
		case c == '\\' && !verbatim:
			j += 2
		case c == '"':
			if verbatim && j+1 < len(s) && s[j+1] == '"' {
				j += 2
				continue
			}
			return j + 1, true
		case c == '{' && interp:
			if j+1 < len(s) && s[j+1] == '{' {
				j += 2
				continue
			}
			k, ok := scanCode(s, j, depth+1)
			if !ok {
				return k, false
			}
			j = k
		case c == '}' && interp && j+1 < len(s) && s[j+1] == '}':
			j += 2
		default:
			j++
		}
	}
	return j, false
}

// NamedRef is a {{named-value}} reference.
type NamedRef struct {
	Name   string
	Off    int  // source offset of "{{"
	InExpr bool // inside a policy expression, where APIM does not substitute it
}

var namedRefRe = lazyRegexp(`\{\{\s*([A-Za-z0-9._~-]+)\s*\}\}`)

// NamedRefs lists the named-value references in a value.
func (v Value) NamedRefs() []NamedRef {
	var out []NamedRef
	expr := v.IsExpr()
	for _, m := range namedRefRe().FindAllStringSubmatchIndex(v.Text, -1) {
		out = append(out, NamedRef{Name: v.Text[m[2]:m[3]], Off: v.Off(m[0]), InExpr: expr})
	}
	return out
}
