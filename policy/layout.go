package policy

import (
	"path"
	"strings"
)

// File is one policy document handed to the linter: from a file, an
// APIOps tree or a live instance. Empty fields are filled from Path by
// Layout; set them to override.
type File struct {
	Path      string `json:"path"` // shown in findings, slash-separated
	Content   string `json:"-"`
	Scope     Scope  `json:"scope"`
	Format    Format `json:"format,omitempty"`
	API       string `json:"api,omitempty"`
	Operation string `json:"operation,omitempty"`
	Product   string `json:"product,omitempty"`
	Fragment  string `json:"fragment,omitempty"`
}

// Place is what an APIOps path says about a document.
type Place struct {
	Scope                             Scope
	API, Operation, Product, Fragment string
}

// Layout reads a path of an APIOps artifacts tree:
//
//	policy.xml                                 global
//	products/<product>/policy.xml              product
//	apis/<api>/policy.xml (or apiPolicy.xml)   api
//	apis/<api>/operations/<op>/policy.xml      operation
//	policy fragments/<id>/policy.xml           fragment (also fragments/, policyFragments/)
//
// It matches the tail of the path, so the tree may sit anywhere. ok is false
// for a path the layout does not know.
func Layout(p string) (pl Place, ok bool) {
	parts := strings.Split(path.Clean(strings.ReplaceAll(p, "\\", "/")), "/")
	n := len(parts)
	at := func(i int) string {
		if i < 0 || n-1-i < 0 {
			return ""
		}
		return parts[n-1-i]
	}
	file := at(0)
	switch {
	case file == "apiPolicy.xml" && at(2) == "apis":
		return Place{Scope: ScopeAPI, API: at(1)}, true
	case file == "policy.xml" && at(4) == "apis" && at(2) == "operations":
		return Place{Scope: ScopeOperation, API: at(3), Operation: at(1)}, true
	case file == "policy.xml" && at(2) == "apis":
		return Place{Scope: ScopeAPI, API: at(1)}, true
	case file == "policy.xml" && at(2) == "products":
		return Place{Scope: ScopeProduct, Product: at(1)}, true
	case file == "policy.xml" && isFragmentsDir(at(2)):
		return Place{Scope: ScopeFragment, Fragment: at(1)}, true
	case file == "policy.xml" || file == "globalServicePolicy.xml":
		return Place{Scope: ScopeGlobal}, true
	}
	return Place{}, false
}

func isFragmentsDir(s string) bool {
	return s == "policy fragments" || s == "policyFragments" || s == "fragments"
}

// place fills the file's empty fields from its path; a scope given on the
// command line wins over the layout.
func (f *File) place() {
	pl, ok := Layout(f.Path)
	if f.Scope == "" {
		if ok {
			f.Scope = pl.Scope
		} else {
			f.Scope = ScopeAPI
		}
	}
	if !ok {
		pl = Place{}
	}
	if f.API == "" {
		f.API = pl.API
	}
	if f.Operation == "" {
		f.Operation = pl.Operation
	}
	if f.Product == "" {
		f.Product = pl.Product
	}
	if f.Fragment == "" {
		f.Fragment = pl.Fragment
	}
	if f.Scope == ScopeFragment && f.Fragment == "" {
		f.Fragment = strings.TrimSuffix(path.Base(f.Path), path.Ext(f.Path))
	}
	if (f.Scope == ScopeAPI || f.Scope == ScopeOperation) && f.API == "" {
		f.API = f.Path
	}
}
