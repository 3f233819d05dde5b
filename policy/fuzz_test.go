package policy

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzLint feeds any bytes to the parser and the rules, in both formats
// and detected: no panic, every finding inside the document, the same
// answer twice. The seeds are the guide's policies, the recommended ones
// and pieces that stress the expression scanner; they run in go test.
func FuzzLint(f *testing.F) {
	for _, tree := range []string{"guide", "recommended"} {
		filepath.WalkDir(filepath.Join("..", "testdata", "policy", tree), func(p string, d os.DirEntry, err error) error {
			if err == nil && strings.HasSuffix(p, ".xml") {
				data, _ := os.ReadFile(p)
				f.Add(string(data), "apis/context7-mcp/policy.xml")
			}
			return nil
		})
	}
	for _, s := range []string{
		``, `<`, `<policies`, `<policies a="`, `<policies a="@(`, `<policies>@{`, `<policies>@{"}`,
		`<policies><inbound>@($"{(")}")</inbound></policies>`,
		`<policies><inbound><set-variable name="x" value="@(@"a""b")" /></inbound></policies>`,
		`<policies><inbound><set-body><![CDATA[{"a": 1}]]></set-body></inbound></policies>`,
		"<policies>&#x10FFFF;&#0;&#xD800;&bogus;&amp</policies>",
		`<fragment><include-fragment fragment-id="f" /></fragment>`,
		`<policies><inbound><base /><base /></inbound><inbound /></policies>`,
		"<policies><inbound><set-variable name=\"a\" value=\"@('\\'' + '\"')\" /></inbound></policies>",
		"<policies><inbound><set-body>@{ /* ) */ // }\n return \"x\"; }</set-body></inbound></policies>",
	} {
		f.Add(s, "policy fragments/f/policy.xml")
		f.Add(s, "policy.xml")
	}
	f.Fuzz(func(t *testing.T, src, path string) {
		files := []File{{Path: path, Content: src}}
		in := Input{Files: files, NamedValues: map[string]NamedValue{"a": {Name: "a", Value: "b", Known: true}},
			APIPaths: map[string]string{"context7-mcp": "context7"}}
		res := Lint(in)
		lines := strings.Count(src, "\n") + 1
		for _, fd := range res.Findings {
			if fd.Pos.Line < 1 || fd.Pos.Line > lines || fd.Pos.Col < 1 || fd.Pos.Col > utf8.RuneCountInString(src)+1 {
				t.Fatalf("finding %s at %+v outside the document (%d lines)", fd.Rule, fd.Pos, lines)
			}
			if _, ok := RuleByID(fd.Rule); !ok {
				t.Fatalf("unknown rule %s", fd.Rule)
			}
		}
		if again := Lint(in); !reflect.DeepEqual(res, again) {
			t.Fatal("two runs disagree")
		}
		for _, format := range []Format{FormatXML, FormatRawXML} {
			Lint(Input{Files: []File{{Path: path, Content: src, Format: format}}})
		}
	})
}
