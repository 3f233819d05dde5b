package policy

import (
	"strings"
)

// placeholderText matches the guide's placeholders once decoded into text.
var placeholderText = lazyRegexp(`<(your[- ][a-z0-9 -]+|[a-z0-9-]+-(id|host|secret|guid)|tid)>`)

// document runs the rules that look at one document on its own.
func (l *linter) document(d *Document) {
	eachValue(d.Root, func(n *Node, v Value) {
		for _, m := range placeholderText().FindAllStringIndex(v.Text, -1) {
			l.add("template-placeholder", d, v.Off(m[0]), "", "template placeholder %s left in <%s>", v.Text[m[0]:m[1]], n.Name)
		}
		for _, ref := range v.NamedRefs() {
			l.namedRef(d, n, ref)
		}
	})
	if d.Root.Name == "policies" {
		seen := map[string]bool{}
		for _, sec := range d.Root.Elements() {
			if seen[sec.Name] {
				l.add("section-duplicate", d, sec.Off, "", "<%s> appears a second time; APIM keeps only one", sec.Name)
			}
			seen[sec.Name] = true
			if (d.Scope == ScopeAPI || d.Scope == ScopeOperation) && isSection(sec.Name) && sec.Child("base") == nil {
				l.add("base-missing", d, sec.Off, "", "<%s> of this %s policy has no <base />: the enclosing scopes' %s policies do not run", sec.Name, d.Scope, sec.Name)
			}
		}
	}
	walkNodes(d.Root, func(n *Node) {
		if n.Name != "set-variable" {
			return
		}
		v, _ := n.Attr("value")
		for _, ref := range v.NamedRefs() {
			if l.isSecret(ref.Name) {
				l.add("secret-in-variable", d, n.Off, "", "variable %q holds the secret named value {{%s}}; traces show context variables", n.AttrText("name"), ref.Name)
			}
		}
	})
}

func isSection(name string) bool {
	for _, s := range Sections {
		if s == name {
			return true
		}
	}
	return false
}

func (l *linter) namedRef(d *Document, n *Node, ref NamedRef) {
	_, known := l.in.NamedValues[ref.Name]
	switch {
	case ref.InExpr:
		l.add("named-value-in-expression", d, ref.Off, "", "{{%s}} inside an expression in <%s> reaches C# as the literal text", ref.Name, n.Name)
	case l.in.NamedValues == nil:
		l.add("named-value-unresolved", d, ref.Off, "", "{{%s}} in <%s>: no named values to check it against", ref.Name, n.Name)
	case !known:
		l.add("named-value-missing", d, ref.Off, "", "{{%s}} in <%s> is not a named value of this instance", ref.Name, n.Name)
	}
}

// isSecret reports a secret named value; with no named values to go by, a
// name that says "secret" or "password" is taken at its word.
func (l *linter) isSecret(name string) bool {
	if nv, ok := l.in.NamedValues[name]; ok {
		return nv.Secret
	}
	lower := strings.ToLower(name)
	return strings.Contains(lower, "secret") || strings.Contains(lower, "password")
}

// eachValue calls fn for every attribute value and text run under n.
func eachValue(n *Node, fn func(owner *Node, v Value)) {
	var walk func(n, parent *Node, depth int)
	walk = func(n, parent *Node, depth int) {
		if n == nil || depth > 256 {
			return
		}
		if n.Name == "" {
			fn(parent, n.Text)
			return
		}
		for _, a := range n.Attrs {
			fn(n, a.Value)
		}
		for _, c := range n.Children {
			walk(c, n, depth+1)
		}
	}
	walk(n, n, 0)
}
