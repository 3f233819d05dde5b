package main

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
	"gopkg.in/yaml.v3"

	"github.com/c7doctor/c7doctor/checks"
)

// The CI templates run c7doctor with flags and C7DOCTOR_* variables that a
// rename in the CLI would silently break: these tests hold them to the
// CLI's own definitions.

var (
	templateExpr = regexp.MustCompile(`\$\{\{[^}]*\}\}|\$\([A-Za-z0-9_.-]+\)`) // ${{ parameters.x }}, $(Agent.TempDirectory)
	envName7     = regexp.MustCompile(`^C7DOCTOR_[A-Z0-9_]+$`)
)

// c7doctorEnv are the variables c7doctor reads that are not a flag's.
var c7doctorEnv = []string{"C7DOCTOR_TOKEN", "C7DOCTOR_GATEWAY_SECRET", "C7DOCTOR_CONFIG"}

// yamlStrings collects every string value under the given keys, at any depth.
func yamlStrings(n *yaml.Node, keys map[string]bool, out *[]string) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if keys[k.Value] && v.Kind == yaml.ScalarNode {
				*out = append(*out, v.Value)
			}
			yamlStrings(v, keys, out)
		}
		return
	}
	for _, c := range n.Content {
		yamlStrings(c, keys, out)
	}
}

// yamlEnvNames collects the names under every env: mapping.
func yamlEnvNames(n *yaml.Node, out *[]string) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "env" && v.Kind == yaml.MappingNode {
				for j := 0; j+1 < len(v.Content); j += 2 {
					*out = append(*out, v.Content[j].Value)
				}
			}
			yamlEnvNames(v, out)
		}
		return
	}
	for _, c := range n.Content {
		yamlEnvNames(c, out)
	}
}

func parseYAMLFile(t *testing.T, path string) *yaml.Node {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &doc
}

// shellWords splits one command line the way sh would for plain words and
// quotes; template expressions become a placeholder word.
func shellWords(line string) []string {
	line = templateExpr.ReplaceAllString(line, "X")
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case r == '#' && !inWord:
			return words
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// c7doctorCommands finds each c7doctor invocation in a script, continuation
// lines joined: the words after "c7doctor" up to a ||, |, ;, && or >.
func c7doctorCommands(script string) [][]string {
	script = strings.ReplaceAll(script, "\\\n", " ")
	var cmds [][]string
	for _, line := range strings.Split(script, "\n") {
		words := shellWords(line)
		for i, w := range words {
			if w != "c7doctor" && !strings.HasSuffix(w, "/c7doctor") {
				continue
			}
			var args []string
			for _, a := range words[i+1:] {
				if slices.Contains([]string{"||", "|", ";", "&&"}, a) || strings.HasPrefix(a, ">") || strings.HasPrefix(a, "2>") {
					break
				}
				args = append(args, a)
			}
			cmds = append(cmds, args)
			break
		}
	}
	return cmds
}

// checkInvocation resolves the command path of args in the CLI and checks
// every --flag against that command's flags.
func checkInvocation(t *testing.T, root *cli.App, args []string) (path string) {
	t.Helper()
	path, problems := invocationProblems(root, args)
	for _, p := range problems {
		t.Error(p)
	}
	return path
}

func invocationProblems(root *cli.App, args []string) (path string, problems []string) {
	cmds, flags := root.Commands, root.Flags
	var names []string
	for _, a := range args {
		switch {
		case strings.HasPrefix(a, "-"):
			name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
			if name == "help" || name == "h" {
				continue
			}
			if findFlag(flags, name) == nil {
				problems = append(problems, fmt.Sprintf("c7doctor %s: no flag --%s (in %q)", strings.Join(names, " "), name, strings.Join(args, " ")))
			}
		default:
			if sub := findCommand(cmds, a); sub != nil {
				names = append(names, sub.Name)
				cmds, flags = sub.Subcommands, sub.Flags
			}
		}
	}
	if len(names) == 0 && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		problems = append(problems, fmt.Sprintf("c7doctor %s: no such command", args[0]))
	}
	return strings.Join(names, " "), problems
}

// checkEnvNames holds every C7DOCTOR_* variable a file sets to a run flag
// (or one of the variables c7doctor reads itself).
func checkEnvNames(t *testing.T, file string, names []string, runFlags []cli.Flag) int {
	t.Helper()
	n := 0
	for _, name := range names {
		if !envName7.MatchString(name) {
			continue
		}
		n++
		if slices.Contains(c7doctorEnv, name) {
			continue
		}
		known := false
		for _, f := range runFlags {
			if envName(f.Names()[0]) == name {
				known = true
			}
		}
		if !known {
			t.Errorf("%s: %s is no run flag's variable", file, name)
		}
	}
	return n
}

func runFlagsOf(root *cli.App) []cli.Flag {
	for _, c := range root.Commands {
		if c.Name == "run" {
			return c.Flags
		}
	}
	return nil
}

func TestAzurePipelinesTemplateUsesRealFlags(t *testing.T) {
	const file = "azure-pipelines/c7doctor-health-check.yml"
	doc := parseYAMLFile(t, file)
	root := (&app{}).cli()

	var scripts []string
	yamlStrings(doc, map[string]bool{"script": true, "inlineScript": true, "bash": true}, &scripts)
	seen := map[string]bool{}
	for _, s := range scripts {
		for _, args := range c7doctorCommands(s) {
			seen[checkInvocation(t, root, args)] = true
		}
	}
	if !seen["run"] {
		t.Errorf("%s runs no c7doctor run (found %v)", file, seen)
	}

	var env []string
	yamlEnvNames(doc, &env)
	if n := checkEnvNames(t, file, env, runFlagsOf(root)); n < 5 {
		t.Errorf("%s: only %d C7DOCTOR_ variables seen: the parse missed them", file, n)
	}

	// The job must be shaped as the README says: Key Vault, the Azure CLI
	// task with the service connection, the test results and the artifact.
	var tasks []string
	yamlStrings(doc, map[string]bool{"task": true}, &tasks)
	for _, want := range []string{"AzureKeyVault@2", "AzureCLI@2", "PublishTestResults@2", "PublishPipelineArtifact@1"} {
		if !slices.Contains(tasks, want) {
			t.Errorf("%s: no %s task", file, want)
		}
	}
}

func TestActionMapsInputsToRealVariables(t *testing.T) {
	for _, file := range []string{"action.yml", "azure-pipelines/c7doctor-health-check.yml"} {
		doc := parseYAMLFile(t, file)
		var env []string
		yamlEnvNames(doc, &env)
		if n := checkEnvNames(t, file, env, runFlagsOf((&app{}).cli())); n < 5 {
			t.Errorf("%s: only %d C7DOCTOR_ variables seen", file, n)
		}
	}
}

func TestC7doctorCommandsParse(t *testing.T) {
	root := (&app{}).cli()
	got := c7doctorCommands("x=1\n\"$dir/c7doctor\" run --cache-file \"$cache\" \\\n  --out \"junit=$(REPORTS)/c.xml\" ${{ parameters.x }} || code=$?\necho c7doctor-like")
	if len(got) != 1 || checkInvocation(t, root, got[0]) != "run" || !slices.Contains(got[0], "--out") {
		t.Fatalf("parsed %q", got)
	}
	// What the CLI does not have must be caught.
	if _, problems := invocationProblems(root, []string{"run", "--no-such-flag"}); len(problems) != 1 {
		t.Errorf("an unknown flag: %q", problems)
	}
	if _, problems := invocationProblems(root, []string{"rnu", "--out", "x"}); len(problems) == 0 {
		t.Error("an unknown command passed")
	}
	if _, problems := invocationProblems(root, []string{"token", "decode", "--expect-aud", "x"}); len(problems) != 0 {
		t.Errorf("a subcommand's flag: %q", problems)
	}
}

// The default --require of the action, the workflow and the template is
// every check but upstream and the configuration checks (which need a role
// on the APIM instance, or Graph's Application.Read.All, that a CI identity
// may not hold; a pipeline that has them adds them): a check added to the
// run must not be left out of what CI insists on.
func TestCIRequireListsEveryCheckButUpstream(t *testing.T) {
	var want []string
	for _, c := range checks.All {
		if c.ID != "upstream" && !strings.HasPrefix(c.ID, "apim-") && !strings.HasPrefix(c.ID, "entra-") {
			want = append(want, c.ID)
		}
	}
	list := regexp.MustCompile(`challenge,[a-z0-9,-]+`)
	for _, file := range []string{"action.yml", ".github/workflows/health-check.yml", "azure-pipelines/c7doctor-health-check.yml"} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		got := list.FindAllString(string(data), -1)
		if len(got) == 0 {
			t.Errorf("%s: no default require list", file)
		}
		for _, g := range got {
			if g != strings.Join(want, ",") {
				t.Errorf("%s: require %s\nwant %s", file, g, strings.Join(want, ","))
			}
		}
	}
}
