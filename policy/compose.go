package policy

import (
	"maps"
	"slices"
)

// Sections of a policy document, in the order a request meets them.
var Sections = []string{"inbound", "backend", "outbound", "on-error"}

// Pipeline is what one operation runs: global, product, API and operation
// policies composed, <base /> expanded, fragments included.
type Pipeline struct {
	Name      string // the most specific document's path
	API       string
	Operation string
	levels    []*Document // outermost first
	fragments map[string]*Document
}

// maxStatements bounds a composed section, whatever fragments include.
const maxStatements = 10000

// Stmt is one policy statement of a composed section with the <when> and
// <otherwise> elements that enclose it, outermost first.
type Stmt struct {
	N     *Node
	Conds []*Node
}

// Statements lists a section's statements in the order they run,
// descending into choose, retry and the like.
func (p *Pipeline) Statements(section string) []Stmt {
	var out []Stmt
	including := map[string]bool{} // fragments being expanded: a cycle stops
	var walk func(nodes []*Node, conds []*Node, depth int)
	walk = func(nodes []*Node, conds []*Node, depth int) {
		if depth > 32 {
			return
		}
		for _, n := range nodes {
			if n.Name == "" || len(out) >= maxStatements {
				continue
			}
			if n.Name == "include-fragment" {
				id := n.AttrText("fragment-id")
				if f := p.fragments[id]; f != nil && f.Root != nil && !including[id] {
					including[id] = true
					walk(f.Root.Elements(), conds, depth+1)
					including[id] = false
				}
				continue
			}
			out = append(out, Stmt{N: n, Conds: conds})
			switch n.Name {
			case "choose":
				for _, c := range n.Elements() {
					walk(c.Elements(), append(conds[:len(conds):len(conds)], c), depth+1)
				}
			case "retry", "wait", "limit-concurrency":
				walk(n.Elements(), conds, depth+1)
			}
		}
	}
	walk(p.section(len(p.levels)-1, section, 0), nil, 0)
	return out
}

// section is level i's statements for a section with <base /> replaced by
// the enclosing level's. A level without the section inherits it whole.
func (p *Pipeline) section(i int, name string, depth int) []*Node {
	if i < 0 || depth > len(p.levels) {
		return nil
	}
	d := p.levels[i]
	if d == nil || d.Root == nil {
		return p.section(i-1, name, depth+1)
	}
	sec := d.Root.Child(name)
	if sec == nil {
		return p.section(i-1, name, depth+1)
	}
	var out []*Node
	for _, c := range sec.Elements() {
		if c.Name == "base" {
			out = append(out, p.section(i-1, name, depth+1)...)
			continue
		}
		out = append(out, c)
	}
	return out
}

// All is every statement of every section, in order.
func (p *Pipeline) All() []Stmt {
	var out []Stmt
	for _, s := range Sections {
		out = append(out, p.Statements(s)...)
	}
	return out
}

// compose builds one pipeline per operation document and one per API
// document (the API's operations without a policy of their own).
func compose(docs []*Document, productAPIs map[string][]string) []*Pipeline {
	var global *Document
	apis := map[string]*Document{}
	products := map[string]*Document{}
	fragments := map[string]*Document{}
	var ops []*Document
	var apiOrder []string
	seenAPI := map[string]bool{}
	addAPI := func(name string) {
		if !seenAPI[name] {
			seenAPI[name] = true
			apiOrder = append(apiOrder, name)
		}
	}
	for _, d := range docs {
		switch d.Scope {
		case ScopeGlobal:
			global = d
		case ScopeProduct:
			products[d.Product] = d
		case ScopeAPI:
			apis[d.API] = d
			addAPI(d.API)
		case ScopeOperation:
			ops = append(ops, d)
			addAPI(d.API)
		case ScopeFragment:
			fragments[d.Fragment] = d
		}
	}
	levelsFor := func(api string) []*Document {
		levels := []*Document{global}
		for _, prod := range slices.Sorted(maps.Keys(productAPIs)) {
			for _, a := range productAPIs[prod] {
				if a == api && products[prod] != nil {
					levels = append(levels, products[prod])
				}
			}
		}
		return append(levels, apis[api])
	}
	var out []*Pipeline
	for _, api := range apiOrder {
		if d := apis[api]; d != nil {
			out = append(out, &Pipeline{Name: d.Path, API: api, levels: levelsFor(api), fragments: fragments})
		}
		for _, op := range ops {
			if op.API == api {
				out = append(out, &Pipeline{Name: op.Path, API: api, Operation: op.Operation,
					levels: append(levelsFor(api), op), fragments: fragments})
			}
		}
	}
	if len(out) == 0 && global != nil {
		out = append(out, &Pipeline{Name: global.Path, levels: []*Document{global}, fragments: fragments})
	}
	return out
}
