// Package policy parses Azure API Management policy documents and lints them
// against the gateway of the guide "Azure API Management as MCP gateway":
// Entra token validation, the On-Behalf-Of exchange, its cache, the MCP
// rewrite and the OAuth discovery surface.
//
// The package is pure: it reads no files and opens no connections. Callers
// hand it documents (from an APIOps tree, a live instance or anywhere else)
// and get findings with the file, line and column each came from.
package policy

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// Format is how a policy document escapes its expressions.
type Format string

const (
	// FormatAuto detects the format per document.
	FormatAuto Format = ""
	// FormatXML is well-formed XML: expressions are XML-escaped
	// (format=xml in the management API, the guide's own files).
	FormatXML Format = "xml"
	// FormatRawXML leaves expressions unescaped, so the document need not
	// be well-formed XML (format=rawxml, the APIOps default).
	FormatRawXML Format = "rawxml"
)

// Scope is where in APIM a policy document applies.
type Scope string

const (
	ScopeGlobal    Scope = "global"
	ScopeProduct   Scope = "product"
	ScopeAPI       Scope = "api"
	ScopeOperation Scope = "operation"
	ScopeFragment  Scope = "fragment"
)

// Scopes lists the scopes in the order a request meets them.
var Scopes = []Scope{ScopeGlobal, ScopeProduct, ScopeAPI, ScopeOperation, ScopeFragment}

// Pos is a place in a document: 1-based line and column, the column
// counted in Unicode code points.
type Pos struct {
	Line int `json:"line"`
	Col  int `json:"column"`
}

// Document is one parsed policy document.
type Document struct {
	File
	Format Format // the format it was read in (detected or forced)
	Root   *Node  // nil when the document could not be parsed
	lines  []int  // byte offset of each line's start
}

func newDocument(f File) *Document {
	d := &Document{File: f, lines: []int{0}}
	for i := 0; i < len(f.Content); i++ {
		if f.Content[i] == '\n' {
			d.lines = append(d.lines, i+1)
		}
	}
	return d
}

// PosAt turns a byte offset of the source into a line and column.
func (d *Document) PosAt(off int) Pos {
	off = min(max(off, 0), len(d.Content))
	line := sort.Search(len(d.lines), func(i int) bool { return d.lines[i] > off }) - 1
	return Pos{Line: line + 1, Col: utf8.RuneCountInString(d.Content[d.lines[line]:off]) + 1}
}

// Node is an element or a run of text in a policy document.
type Node struct {
	Name     string // element name; "" for text
	Off      int    // byte offset of '<' (or of the text)
	Attrs    []Attr
	Children []*Node
	Text     Value // text nodes only
	Doc      *Document
}

// Attr is one attribute of an element.
type Attr struct {
	Name  string
	Off   int
	Value Value
}

// Value is attribute or element text, decoded, with the source offset of
// each of its bytes so that a finding inside it can point at its column.
type Value struct {
	Text string
	offs []int // len(Text)+1 source offsets
	// Raw is true when the value was an unescaped (rawxml) expression.
	Raw bool
}

// Off is the source offset of byte i of the decoded text.
func (v Value) Off(i int) int {
	if len(v.offs) == 0 {
		return 0
	}
	return v.offs[min(max(i, 0), len(v.offs)-1)]
}

// IsExpr reports a policy expression: @(...) or @{...}.
func (v Value) IsExpr() bool {
	t := strings.TrimLeft(v.Text, " \t\r\n")
	return strings.HasPrefix(t, "@(") || strings.HasPrefix(t, "@{")
}

// Attr returns the value of the named attribute.
func (n *Node) Attr(name string) (Value, bool) {
	for _, a := range n.Attrs {
		if a.Name == name {
			return a.Value, true
		}
	}
	return Value{}, false
}

// AttrText returns an attribute's decoded text, "" when absent.
func (n *Node) AttrText(name string) string {
	v, _ := n.Attr(name)
	return v.Text
}

// Elements returns the element children.
func (n *Node) Elements() []*Node {
	var out []*Node
	for _, c := range n.Children {
		if c.Name != "" {
			out = append(out, c)
		}
	}
	return out
}

// Child returns the first element child with the name.
func (n *Node) Child(name string) *Node {
	for _, c := range n.Children {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Content is the element's text: the concatenated text children.
func (n *Node) Content() Value {
	var v Value
	for _, c := range n.Children {
		if c.Name == "" {
			if len(v.offs) > 0 {
				v.offs = v.offs[:len(v.offs)-1] // the previous run's end
			}
			v.Text += c.Text.Text
			v.offs = append(v.offs, c.Text.offs...)
			v.Raw = v.Raw || c.Text.Raw
		}
	}
	return v
}

// Pos is where the node starts.
func (n *Node) Pos() Pos { return n.Doc.PosAt(n.Off) }
