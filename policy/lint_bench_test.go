package policy

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkLintGuide lints the guide's four policies, the size of a real
// gateway's MCP and discovery APIs.
func BenchmarkLintGuide(b *testing.B) {
	root := filepath.Join("..", "testdata", "policy", "guide")
	in := Input{NamedValues: map[string]NamedValue{}}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".xml") {
			data, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(root, p)
			in.Files = append(in.Files, File{Path: filepath.ToSlash(rel), Content: string(data)})
		}
		return nil
	})
	if len(in.Files) != 4 {
		b.Fatalf("%d files", len(in.Files))
	}
	b.ReportAllocs()
	for b.Loop() {
		if res := Lint(in); len(res.Findings) == 0 {
			b.Fatal("no findings")
		}
	}
}
