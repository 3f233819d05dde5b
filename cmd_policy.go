package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/c7doctor/c7doctor/checks"
	"github.com/c7doctor/c7doctor/policy"
	"github.com/c7doctor/c7doctor/report"
	"github.com/c7doctor/c7doctor/wire"
)

func (a *app) policyCommand() *cli.Command {
	return &cli.Command{
		Name:  "policy",
		Usage: "check the gateway's APIM policies",
		Subcommands: []*cli.Command{{
			Name:  "lint",
			Usage: "lint APIM policy files or an APIOps tree against the guide",
			UsageText: "c7doctor policy lint [--format auto|xml|rawxml] [--scope S] [--named-values PATH] [--strict] [-o text|json|sarif] PATH...\n" +
				"   exit 0 clean, 1 an error (--strict: a warning too), 2 unreadable input",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "output format: text, json, sarif"},
				&cli.StringFlag{Name: "format", Value: "auto", Usage: "how the documents escape expressions: auto (per file), xml, rawxml"},
				&cli.StringFlag{Name: "scope", Usage: "the scope of every document (global, product, api, operation, fragment) instead of the APIOps layout's"},
				&cli.StringFlag{Name: "named-values", Usage: "named values to resolve {{references}}: a JSON file (az apim nv list -o json) or an APIOps named values folder"},
				&cli.BoolFlag{Name: "strict", Usage: "exit 1 on warnings too"},
			},
			Action: a.policyLint,
		}},
	}
}

func (a *app) policyLint(c *cli.Context) error {
	out := c.String("output")
	if !slices.Contains([]string{"text", "json", "sarif"}, out) {
		return usageError("policy lint: unknown output %q (text, json, sarif)", out)
	}
	var format policy.Format
	switch f := c.String("format"); f {
	case "auto", "":
	case "xml", "rawxml":
		format = policy.Format(f)
	default:
		return usageError("policy lint: unknown --format %q (auto, xml, rawxml)", f)
	}
	scope := policy.Scope(c.String("scope"))
	if scope != "" && !slices.Contains(policy.Scopes, scope) {
		return usageError("policy lint: unknown --scope %q", scope)
	}
	if c.NArg() == 0 {
		return usageError("policy lint: expected files or folders to lint")
	}
	in, err := readPolicyInput(c.Args().Slice(), format, scope)
	if err != nil {
		return &exitError{code: report.ExitUsage, msg: "policy lint: " + err.Error()}
	}
	if p := c.String("named-values"); p != "" {
		nvs, err := readNamedValues(p)
		if err != nil {
			return &exitError{code: report.ExitUsage, msg: "policy lint: --named-values: " + err.Error()}
		}
		if in.NamedValues == nil {
			in.NamedValues = map[string]policy.NamedValue{}
		}
		for k, v := range nvs {
			in.NamedValues[k] = v
		}
	}
	res := policy.Lint(in)
	version, _ := report.BuildInfo()
	o := policy.RenderOptions{ToolVersion: version, Strict: c.Bool("strict"), GuideURL: func(s string) string {
		return checks.GuideRef(s).URL()
	}}
	switch out {
	case "json":
		err = policy.WriteJSON(a.stdout, res, o)
	case "sarif":
		err = policy.WriteSARIF(a.stdout, res, o)
	default:
		err = policy.WriteText(a.stdout, res, o)
	}
	if err != nil {
		return &exitError{code: report.ExitFailed, msg: "policy lint: " + err.Error()}
	}
	if code := res.ExitCode(o.Strict); code != 0 {
		return &exitError{code: code}
	}
	return nil
}

// maxPolicyFile bounds what one document may weigh.
const maxPolicyFile = 4 << 20

// readPolicyInput reads the files and folders named on the command line.
// A folder is read as an APIOps tree: every policy document under it, its
// named values, its APIs' URL suffixes and its products' API lists.
func readPolicyInput(paths []string, format policy.Format, scope policy.Scope) (policy.Input, error) {
	var in policy.Input
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return in, err
		}
		if !st.IsDir() {
			f, err := readPolicyFile(p, format, scope)
			if err != nil {
				return in, err
			}
			in.Files = append(in.Files, f)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != p && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			return readTreeFile(&in, path, format, scope)
		})
		if err != nil {
			return in, err
		}
	}
	if len(in.Files) == 0 {
		return in, fmt.Errorf("no policy documents (*.xml) in %s", strings.Join(paths, ", "))
	}
	return in, nil
}

func readTreeFile(in *policy.Input, path string, format policy.Format, scope policy.Scope) error {
	parent := filepath.Base(filepath.Dir(filepath.Dir(path)))
	switch name := filepath.Base(path); {
	case strings.HasSuffix(name, ".xml"):
		f, err := readPolicyFile(path, format, scope)
		if err != nil {
			return err
		}
		in.Files = append(in.Files, f)
	case name == "namedValueInformation.json":
		nv, err := readNamedValueFile(path)
		if err != nil {
			return err
		}
		if in.NamedValues == nil {
			in.NamedValues = map[string]policy.NamedValue{}
		}
		in.NamedValues[nv.Name] = nv
	case name == "apiInformation.json" && parent == "apis":
		var info struct {
			Properties struct {
				Path *string `json:"path"`
			} `json:"properties"`
		}
		if err := readJSONFile(path, &info); err != nil {
			return err
		}
		if info.Properties.Path != nil {
			if in.APIPaths == nil {
				in.APIPaths = map[string]string{}
			}
			in.APIPaths[filepath.Base(filepath.Dir(path))] = *info.Properties.Path
		}
	case name == "apis.json" && parent == "products":
		var apis []struct {
			Name string `json:"name"`
		}
		if err := readJSONFile(path, &apis); err != nil {
			return err
		}
		if in.ProductAPIs == nil {
			in.ProductAPIs = map[string][]string{}
		}
		product := filepath.Base(filepath.Dir(path))
		for _, api := range apis {
			in.ProductAPIs[product] = append(in.ProductAPIs[product], api.Name)
		}
	}
	return nil
}

func readPolicyFile(path string, format policy.Format, scope policy.Scope) (policy.File, error) {
	data, err := readFileBounded(path)
	if err != nil {
		return policy.File{}, err
	}
	return policy.File{Path: filepath.ToSlash(path), Content: string(data), Format: format, Scope: scope}, nil
}

func readFileBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, truncated, err := wire.ReadLimited(f, maxPolicyFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if truncated {
		return nil, fmt.Errorf("%s: larger than %d MiB", path, maxPolicyFile>>20)
	}
	return data, nil
}
