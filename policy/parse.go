package policy

import (
	"fmt"
	"strings"
)

// parseError is why a document could not be read, at a source offset.
type parseError struct {
	off  int
	rule string // xml-not-well-formed, template-placeholder or expression-attribute-escaping
	msg  string
}

func (e *parseError) Error() string { return e.msg }

// Parse reads one document. With FormatAuto it tries XML first; a document
// that is not well-formed XML but reads as rawxml is rawxml, unless its
// expressions carry XML entities (then it was meant to be XML and the XML
// error is the one to fix).
func Parse(f File) (*Document, error) {
	d := newDocument(f)
	switch f.Format {
	case FormatXML, FormatRawXML:
		d.Format = f.Format
		root, err := parseAs(d, f.Format)
		d.Root = root
		return d, errOrNil(err)
	}
	root, xmlErr := parseAs(d, FormatXML)
	if xmlErr == nil {
		d.Format, d.Root = FormatXML, root
		return d, nil
	}
	rawRoot, rawErr := parseAs(d, FormatRawXML)
	if rawErr == nil && !rawExprHasEntities(rawRoot) {
		d.Format, d.Root = FormatRawXML, rawRoot
		return d, nil
	}
	// Both failed: the reading that got further is the more likely intent.
	if rawErr != nil && rawErr.off > xmlErr.off {
		d.Format = FormatRawXML
		return d, rawErr
	}
	d.Format = FormatXML
	return d, xmlErr
}

func errOrNil(e *parseError) error {
	if e == nil {
		return nil
	}
	return e
}

var xmlEntityRef = lazyRegexp(`&(quot|lt|gt|amp|apos);`)

func rawExprHasEntities(root *Node) bool {
	found := false
	walkNodes(root, func(n *Node) {
		for _, a := range n.Attrs {
			if a.Value.Raw && xmlEntityRef().MatchString(a.Value.Text) {
				found = true
			}
		}
		if n.Name == "" && n.Text.Raw && xmlEntityRef().MatchString(n.Text.Text) {
			found = true
		}
	})
	return found
}

func walkNodes(n *Node, fn func(*Node)) {
	if n == nil {
		return
	}
	fn(n)
	for _, c := range n.Children {
		walkNodes(c, fn)
	}
}

type parser struct {
	d     *Document
	src   string
	i     int
	mode  Format
	depth int
}

// maxDepth bounds element nesting; real policies nest a handful deep.
const maxDepth = 256

func parseAs(d *Document, mode Format) (root *Node, err *parseError) {
	p := &parser{d: d, src: d.Content, mode: mode}
	defer func() {
		if r := recover(); r != nil {
			pe, ok := r.(*parseError)
			if !ok {
				panic(r)
			}
			root, err = nil, pe
		}
	}()
	p.src = strings.TrimPrefix(p.src, "\ufeff")
	if len(p.src) != len(d.Content) {
		p.i = len(d.Content) - len(p.src)
		p.src = d.Content
	}
	p.misc()
	if p.i >= len(p.src) || p.src[p.i] != '<' {
		p.fail(p.i, "xml-not-well-formed", "expected a root element such as <policies>")
	}
	root = p.element()
	p.misc()
	if p.i < len(p.src) {
		p.fail(p.i, "xml-not-well-formed", "content after the root element </%s>", root.Name)
	}
	return root, nil
}

func (p *parser) fail(off int, rule, format string, args ...any) {
	panic(&parseError{off: off, rule: rule, msg: fmt.Sprintf(format, args...)})
}

// misc skips whitespace, comments, processing instructions and a doctype.
func (p *parser) misc() {
	for {
		p.space()
		switch {
		case strings.HasPrefix(p.src[p.i:], "<!--"):
			p.comment()
		case strings.HasPrefix(p.src[p.i:], "<?"):
			end := strings.Index(p.src[p.i:], "?>")
			if end < 0 {
				p.fail(p.i, "xml-not-well-formed", "unterminated <? … ?>")
			}
			p.i += end + 2
		default:
			return
		}
	}
}

func (p *parser) comment() {
	end := strings.Index(p.src[p.i+4:], "-->")
	if end < 0 {
		p.fail(p.i, "xml-not-well-formed", "unterminated comment")
	}
	p.i += 4 + end + 3
}

func (p *parser) space() {
	for p.i < len(p.src) && isSpace(p.src[p.i]) {
		p.i++
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func isNameByte(c byte) bool {
	return c == '-' || c == '_' || c == ':' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func (p *parser) name() string {
	start := p.i
	for p.i < len(p.src) && isNameByte(p.src[p.i]) {
		p.i++
	}
	return p.src[start:p.i]
}

// placeholderName matches the guide's template placeholders read as tags:
// <your-tenant-id>, <gateway-app-id>, <your-apim-host> …
var placeholderName = lazyRegexp(`^(your-[a-z0-9-]+|[a-z0-9-]+-(id|host|secret|name|guid))$`)

func (p *parser) element() *Node {
	start := p.i
	p.i++ // '<'
	name := p.name()
	if name == "" {
		p.fail(start, "xml-not-well-formed", "expected an element name after '<'")
	}
	if placeholderName().MatchString(name) || strings.HasPrefix(p.src[start:], "<your ") {
		p.fail(start, "template-placeholder", "template placeholder <%s> left in the document", name)
	}
	if p.depth++; p.depth > maxDepth {
		p.fail(start, "xml-not-well-formed", "elements nested more than %d deep", maxDepth)
	}
	defer func() { p.depth-- }()
	n := &Node{Name: name, Off: start, Doc: p.d}
	for {
		ws := p.i
		p.space()
		if p.i >= len(p.src) {
			p.fail(start, "xml-not-well-formed", "<%s> is not closed", name)
		}
		switch c := p.src[p.i]; {
		case c == '/':
			if !strings.HasPrefix(p.src[p.i:], "/>") {
				p.fail(p.i, "xml-not-well-formed", "expected '/>' in <%s>", name)
			}
			p.i += 2
			return n
		case c == '>':
			p.i++
			p.content(n)
			return n
		default:
			if p.i == ws && len(n.Attrs) > 0 {
				p.afterAttr(n)
			}
			n.Attrs = append(n.Attrs, p.attr(n))
		}
	}
}

// afterAttr explains junk right after an attribute's closing quote: in XML
// an attribute expression that holds a raw quote ends there.
func (p *parser) afterAttr(n *Node) {
	last := n.Attrs[len(n.Attrs)-1]
	if last.Value.IsExpr() {
		p.fail(p.i-1, "expression-attribute-escaping",
			"attribute %s of <%s>: a raw '\"' ends the expression early; write &quot; inside attribute expressions", last.Name, n.Name)
	}
	p.fail(p.i, "xml-not-well-formed", "expected whitespace between attributes of <%s>", n.Name)
}

func (p *parser) attr(n *Node) Attr {
	off := p.i
	name := p.name()
	if name == "" {
		p.fail(p.i, "xml-not-well-formed", "unexpected %q in <%s>", p.src[p.i], n.Name)
	}
	p.space()
	if p.i >= len(p.src) || p.src[p.i] != '=' {
		p.fail(p.i, "xml-not-well-formed", "attribute %s of <%s> has no value", name, n.Name)
	}
	p.i++
	p.space()
	if p.i >= len(p.src) || (p.src[p.i] != '"' && p.src[p.i] != '\'') {
		p.fail(p.i, "xml-not-well-formed", "attribute %s of <%s>: value must be quoted", name, n.Name)
	}
	q := p.src[p.i]
	p.i++
	if p.mode == FormatRawXML && p.startsExpr() {
		v := p.rawExpr()
		p.space()
		if p.i >= len(p.src) || p.src[p.i] != q {
			p.fail(p.i, "xml-not-well-formed", "attribute %s of <%s>: expected %c after the expression", name, n.Name, q)
		}
		p.i++
		return Attr{Name: name, Off: off, Value: v}
	}
	var v valueBuilder
	valStart := p.i
	for {
		if p.i >= len(p.src) {
			p.fail(off, "xml-not-well-formed", "attribute %s of <%s> is not closed", name, n.Name)
		}
		c := p.src[p.i]
		switch {
		case c == q:
			val := v.done(p.i)
			p.i++
			return Attr{Name: name, Off: off, Value: val}
		case c == '<':
			if isExprStart(p.src[valStart:]) {
				p.fail(p.i, "expression-attribute-escaping", "attribute %s of <%s>: a raw '<' in an attribute expression; write &lt;", name, n.Name)
			}
			p.fail(p.i, "xml-not-well-formed", "attribute %s of <%s>: '<' is not allowed in attribute values", name, n.Name)
		case c == '&':
			p.entity(&v, func() {
				if isExprStart(p.src[valStart:]) {
					p.fail(p.i, "expression-attribute-escaping", "attribute %s of <%s>: a raw '&' in an attribute expression; write &amp;", name, n.Name)
				}
			})
		default:
			v.add(c, p.i)
			p.i++
		}
	}
}

func isExprStart(s string) bool {
	s = strings.TrimLeft(s, " \t\r\n")
	return strings.HasPrefix(s, "@(") || strings.HasPrefix(s, "@{")
}

func (p *parser) startsExpr() bool { return isExprStart(p.src[p.i:]) }

// rawExpr reads an unescaped expression (rawxml) as it stands.
func (p *parser) rawExpr() Value {
	start := p.i
	for isSpace(p.src[p.i]) {
		p.i++
	}
	end, ok := scanExpr(p.src, p.i)
	if !ok {
		p.fail(p.i, "xml-not-well-formed", "policy expression is not closed")
	}
	p.i = end
	return rawValue(p.src, start, end)
}

// rawValue is src[start:end] taken as it stands.
func rawValue(src string, start, end int) Value {
	v := Value{Text: src[start:end], Raw: true, offs: make([]int, 0, end-start+1)}
	for i := start; i <= end; i++ {
		v.offs = append(v.offs, i)
	}
	return v
}

var entities = map[string]string{"quot": `"`, "lt": "<", "gt": ">", "amp": "&", "apos": "'"}

// entity decodes &name; or &#n; at p.i into v; bad calls onBad, then fails.
func (p *parser) entity(v *valueBuilder, onBad func()) {
	start := p.i
	end := strings.IndexByte(p.src[p.i:min(len(p.src), p.i+12)], ';')
	if end > 1 {
		ref := p.src[p.i+1 : p.i+end]
		s, ok := entities[ref]
		if !ok && strings.HasPrefix(ref, "#") {
			var r int
			var err error
			if strings.HasPrefix(ref, "#x") {
				_, err = fmt.Sscanf(ref[2:], "%x", &r)
			} else {
				_, err = fmt.Sscanf(ref[1:], "%d", &r)
			}
			if err == nil && r > 0 && r <= 0x10FFFF {
				s, ok = string(rune(r)), true
			}
		}
		if ok {
			for i := range len(s) {
				v.add(s[i], start)
			}
			p.i += end + 1
			return
		}
	}
	onBad()
	p.fail(start, "xml-not-well-formed", "'&' must start an entity such as &amp;")
}

func (p *parser) content(n *Node) {
	for {
		if p.i >= len(p.src) {
			p.fail(n.Off, "xml-not-well-formed", "<%s> is not closed", n.Name)
		}
		rest := p.src[p.i:]
		switch {
		case strings.HasPrefix(rest, "</"):
			closeOff := p.i
			p.i += 2
			name := p.name()
			p.space()
			if p.i >= len(p.src) || p.src[p.i] != '>' {
				p.fail(closeOff, "xml-not-well-formed", "malformed closing tag </%s", name)
			}
			p.i++
			if name != n.Name {
				p.fail(closeOff, "xml-not-well-formed", "</%s> closes <%s> (line %d)", name, n.Name, n.Pos().Line)
			}
			return
		case strings.HasPrefix(rest, "<!--"):
			p.comment()
		case strings.HasPrefix(rest, "<![CDATA["):
			end := strings.Index(rest, "]]>")
			if end < 0 {
				p.fail(p.i, "xml-not-well-formed", "unterminated CDATA section")
			}
			t := &Node{Off: p.i, Doc: p.d}
			t.Text = rawValue(p.src, p.i+len("<![CDATA["), p.i+end)
			t.Text.Raw = false
			n.Children = append(n.Children, t)
			p.i += end + 3
		case strings.HasPrefix(rest, "<?"):
			p.misc()
		case rest[0] == '<':
			n.Children = append(n.Children, p.element())
		default:
			n.Children = append(n.Children, p.text())
		}
	}
}

// text reads character data up to the next tag. In rawxml an expression in
// element text is read whole, '<' and '&' included.
func (p *parser) text() *Node {
	t := &Node{Off: p.i, Doc: p.d}
	if p.mode == FormatRawXML && p.startsExpr() {
		t.Text = p.rawExpr()
		// Whitespace after the expression belongs to the text.
		for p.i < len(p.src) && isSpace(p.src[p.i]) {
			p.i++
		}
		t.Text = rawValue(p.src, t.Off, p.i)
		return t
	}
	var v valueBuilder
	for p.i < len(p.src) && p.src[p.i] != '<' {
		if p.src[p.i] == '&' {
			p.entity(&v, func() {})
			continue
		}
		v.add(p.src[p.i], p.i)
		p.i++
	}
	t.Text = v.done(p.i)
	return t
}

// valueBuilder collects decoded bytes and where each came from.
type valueBuilder struct {
	b    []byte
	offs []int
}

func (v *valueBuilder) add(c byte, off int) {
	v.b = append(v.b, c)
	v.offs = append(v.offs, off)
}

func (v *valueBuilder) done(end int) Value {
	return Value{Text: string(v.b), offs: append(v.offs, end)}
}
