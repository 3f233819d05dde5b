package main

import (
	"bufio"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const modulePath = "github.com/c7doctor/c7doctor"

// arrows is the allowed import graph: package -> what it may import.
type arrows map[string][]string

func readArrows(t *testing.T, file string) arrows {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a := arrows{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		a[fields[0]] = fields[1:]
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return a
}

// rule finds the rule that covers pkg: its own, else its nearest parent's.
func (a arrows) rule(pkg string) (string, bool) {
	if pkg == "." {
		_, ok := a["."]
		return ".", ok
	}
	for p := pkg; p != "." && p != "/"; p = path.Dir(p) {
		if _, ok := a[p]; ok {
			return p, true
		}
	}
	return "", false // the root's rule does not cover new top-level packages
}

// violations lists every import the arrows do not allow, in a graph of
// package -> imported packages of this module (paths relative to it).
func (a arrows) violations(graph map[string][]string) []string {
	var out []string
	for _, pkg := range sortedKeys(graph) {
		owner, ok := a.rule(pkg)
		if !ok {
			out = append(out, pkg+": not in the picture (testdata/imports.allowed)")
			continue
		}
		for _, imp := range graph[pkg] {
			target, ok := a.rule(imp)
			switch {
			case !ok:
				out = append(out, pkg+" imports "+imp+", which is not in the picture")
			case target == owner && strings.HasPrefix(pkg, imp+"/"):
				// a sub-package uses its parent
			case target == owner && owner != ".":
				// inside one package's tree
			case !slices.Contains(a[owner], target):
				out = append(out, pkg+" imports "+imp+": "+owner+" may import only ["+strings.Join(a[owner], " ")+"]")
			}
		}
	}
	return out
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// importGraph parses every non-test Go file of the module and returns
// which of the module's packages each package imports.
func importGraph(t *testing.T, root string) map[string][]string {
	t.Helper()
	graph := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && (strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_") || d.Name() == "testdata" || d.Name() == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(p))
		pkg := filepath.ToSlash(rel)
		if _, ok := graph[pkg]; !ok {
			graph[pkg] = nil
		}
		for _, spec := range f.Imports {
			imp := strings.Trim(spec.Path.Value, `"`)
			var local string
			switch {
			case imp == modulePath:
				local = "."
			case strings.HasPrefix(imp, modulePath+"/"):
				local = strings.TrimPrefix(imp, modulePath+"/")
			default:
				continue
			}
			if !slices.Contains(graph[pkg], local) {
				graph[pkg] = append(graph[pkg], local)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return graph
}

// The import graph follows the picture: the root parses and renders,
// checks judges, auth, mcpclient and azure talk through wire, policy is
// pure, and report, wire and lab import nothing of the project (the lab is
// the world, written apart from what it tests).
func TestImportsFollowThePicture(t *testing.T) {
	a := readArrows(t, "testdata/imports.allowed")
	graph := importGraph(t, ".")
	if len(graph) < 8 || len(graph["checks"]) == 0 {
		t.Fatalf("the walk found %d packages: it missed the sources", len(graph))
	}
	for _, v := range a.violations(graph) {
		t.Error(v)
	}
}

// The check fails on a back-edge and on the lab importing what it tests.
func TestImportRulesCatchBackEdges(t *testing.T) {
	a := readArrows(t, "testdata/imports.allowed")
	healthy := map[string][]string{".": {"checks", "lab"}, "checks": {"auth", "wire"}, "auth": {"wire"}, "lab/labtest": {"lab"}, "wire": nil}
	if v := a.violations(healthy); len(v) > 0 {
		t.Fatalf("a healthy graph fails: %v", v)
	}
	for name, edge := range map[string][2]string{
		"wire back to checks":     {"wire", "checks"},
		"auth back to checks":     {"auth", "checks"},
		"lab imports auth":        {"lab", "auth"},
		"lab imports checks":      {"lab", "checks"},
		"lab test helper imports": {"lab/labtest", "mcpclient"},
		"policy does I/O":         {"policy", "wire"},
		"report imports checks":   {"report", "checks"},
		"checks imports the root": {"checks", "."},
		"checks imports lab":      {"checks", "lab"},
		"an unknown package":      {"helpers", "wire"},
	} {
		g := map[string][]string{}
		for k, v := range healthy {
			g[k] = slices.Clone(v)
		}
		g[edge[0]] = append(g[edge[0]], edge[1])
		if v := a.violations(g); len(v) == 0 {
			t.Errorf("%s (%s -> %s): not caught", name, edge[0], edge[1])
		}
	}
}
