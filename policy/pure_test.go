package policy

import (
	goparser "go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The package is pure: no file, process, network or clock of its own.
// Callers read documents and hand them in.
func TestPackageDoesNoIO(t *testing.T) {
	banned := []string{"os", "os/exec", "io/fs", "io/ioutil", "net", "net/http", "syscall", "time", "path/filepath", "embed"}
	files, _ := filepath.Glob("*.go")
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := goparser.ParseFile(token.NewFileSet(), name, nil, goparser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, b := range banned {
				if path == b {
					t.Errorf("%s imports %s", name, path)
				}
			}
		}
	}
}
