package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// rootForbidden are what a root file may not touch: the commands parse,
// call one function of a lower package and render, so building an HTTP
// client or request, parsing a JWT or verifying a signature happens below.
// A name "*" forbids the whole package.
var rootForbidden = map[string][]string{
	modulePath + "/wire":               {"New", "Options"},
	"net/http":                         {"Client", "Transport", "DefaultClient", "DefaultTransport", "NewRequest", "NewRequestWithContext", "Get", "Head", "Post", "PostForm"},
	"github.com/golang-jwt/jwt/v5":     {"*"},
	"github.com/MicahParks/keyfunc/v3": {"*"},
	"github.com/MicahParks/jwkset":     {"*"},
	modulePath + "/auth":               {"Verify", "NewVerifier", "IssuerKeys", "FetchKeys"},
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public": {"*"},
}

// rootViolations lists each use of a forbidden name in one file.
func rootViolations(fset *token.FileSet, f *ast.File) []string {
	local := map[string]string{} // name in the file -> import path
	var out []string
	for _, spec := range f.Imports {
		p, _ := strconv.Unquote(spec.Path.Value)
		if _, ok := rootForbidden[p]; !ok {
			continue
		}
		name := p[strings.LastIndex(p, "/")+1:]
		if p == "github.com/golang-jwt/jwt/v5" {
			name = "jwt"
		}
		if p == "github.com/MicahParks/keyfunc/v3" {
			name = "keyfunc"
		}
		if spec.Name != nil {
			name = spec.Name.Name
		}
		local[name] = p
		if slices.Contains(rootForbidden[p], "*") {
			out = append(out, fset.Position(spec.Pos()).String()+": imports "+p)
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		id, ok := sel.X.(*ast.Ident)
		if !ok || id.Obj != nil { // a local variable, not a package
			return true
		}
		if p, ok := local[id.Name]; ok && slices.Contains(rootForbidden[p], sel.Sel.Name) {
			out = append(out, fset.Position(sel.Pos()).String()+": uses "+p+"."+sel.Sel.Name)
		}
		return true
	})
	return out
}

// The root's files build no HTTP client or request, parse no JWT and
// verify no signature: they call checks and auth for that.
func TestRootIsThin(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	n := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		n++
		for _, v := range rootViolations(fset, f) {
			t.Error(v)
		}
	}
	if n < 10 {
		t.Fatalf("read %d root files: the glob missed the commands", n)
	}
}

// The rule catches each kind of violation, under any import name, and lets
// a command's ordinary calls through.
func TestRootRuleCatchesViolations(t *testing.T) {
	const healthy = `package main
import (
	"net/http"
	"github.com/c7doctor/c7doctor/auth"
	"github.com/c7doctor/c7doctor/checks"
	"github.com/c7doctor/c7doctor/wire"
)
func f(s checks.ClientSettings) {
	h := http.Header{}
	client, _ := checks.NewClient(s)
	_ = wire.NewRedactor()
	_, _, _ = auth.DecodeInput("")
	_, _ = h, client
}
`
	check := func(name, src string) []string {
		t.Helper()
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, name+".go", src, 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return rootViolations(fset, f)
	}
	if v := check("healthy", healthy); len(v) > 0 {
		t.Fatalf("a thin command fails the rule: %v", v)
	}
	for name, src := range map[string]string{
		"wire.New": `package main
import "github.com/c7doctor/c7doctor/wire"
func f() { wire.New(wire.Options{}) }`,
		"wire.New renamed": `package main
import w "github.com/c7doctor/c7doctor/wire"
func f() { c, _ := w.New(w.Options{}); _ = c }`,
		"an http.Client literal": `package main
import "net/http"
var c = &http.Client{}`,
		"http.NewRequest": `package main
import "net/http"
func f() { http.NewRequest("GET", "https://x", nil) }`,
		"http.Get": `package main
import "net/http"
func f() { http.Get("https://x") }`,
		"http.DefaultClient": `package main
import "net/http"
func f() { http.DefaultClient.Do(nil) }`,
		"jwt.Parse": `package main
import "github.com/golang-jwt/jwt/v5"
func f() { jwt.Parse("", nil) }`,
		"keyfunc": `package main
import "github.com/MicahParks/keyfunc/v3"
var _ keyfunc.Keyfunc`,
		"auth.Verify": `package main
import "github.com/c7doctor/c7doctor/auth"
func f(t *auth.Token) { auth.Verify(t, nil) }`,
		"auth.IssuerKeys": `package main
import "github.com/c7doctor/c7doctor/auth"
func f() { auth.IssuerKeys(nil, nil, "") }`,
	} {
		if v := check(name, src); len(v) == 0 {
			t.Errorf("%s: not caught", name)
		}
	}
}
