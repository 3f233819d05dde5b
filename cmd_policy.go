package main

import (
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/c7doctor/c7doctor/checks"
	"github.com/c7doctor/c7doctor/policy"
	"github.com/c7doctor/c7doctor/report"
)

// policyOutputs are the formats of `policy lint -o`.
var policyOutputs = []string{"text", "json", "sarif"}

func (a *app) policyCommand() *cli.Command {
	return &cli.Command{
		Name:  "policy",
		Usage: "check the gateway's APIM policies",
		Subcommands: []*cli.Command{{
			Name:  "lint",
			Usage: "lint APIM policy files or an APIOps tree against the guide",
			UsageText: "c7doctor policy lint [--format auto|xml|rawxml] [--scope S] [--named-values PATH] [--strict] [-o text|json|sarif] PATH...\n" +
				"   c7doctor policy lint --from-azure --apim-name NAME [--resource-group RG] [--subscription ID] [--strict] [-o text|json|sarif]\n" +
				"   exit 0 clean, 1 an error (--strict: a warning too), 2 unreadable input",
			Flags: append([]cli.Flag{
				&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "output format: text, json, sarif"},
				&cli.StringFlag{Name: "format", Value: "auto", Usage: "how the documents escape expressions: auto (per file), xml, rawxml"},
				&cli.StringFlag{Name: "scope", Usage: "the scope of every document (global, product, api, operation, fragment) instead of the APIOps layout's"},
				&cli.StringFlag{Name: "named-values", Usage: "named values to resolve {{references}}: a JSON file (az apim nv list -o json) or an APIOps named values folder"},
				&cli.BoolFlag{Name: "strict", Usage: "exit 1 on warnings too"},
				&cli.BoolFlag{Name: "from-azure", Usage: "lint the live instance's policies, read over Azure Resource Manager with run's Azure flags (Reader on the instance)"},
			}, runFlagsNamed(azureLintFlags...)...),
			Before: func(c *cli.Context) error {
				if c.Bool("from-azure") {
					// run's $C7DOCTOR_… settings and its c7doctor.yaml, as run reads them;
					// the file's keys of run's other flags are not this command's.
					return a.applySettings(c, defaultConfigFile, longNames(runFlags())...)
				}
				return nil
			},
			Action: a.policyLint,
		}},
	}
}

func (a *app) policyLint(c *cli.Context) error {
	out := c.String("output")
	if !slices.Contains(policyOutputs, out) {
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
	if c.Bool("from-azure") {
		return a.policyLintAzure(c, out)
	}
	for _, f := range azureLintFlags {
		if c.IsSet(f) {
			return usageError("policy lint: --%s: only with --from-azure", f)
		}
	}
	if c.NArg() == 0 {
		return usageError("policy lint: expected files or folders to lint (or --from-azure)")
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
	return a.renderLint(c, out, policy.Lint(in))
}

// renderLint writes the result and turns it into the exit code.
func (a *app) renderLint(c *cli.Context, out string, res *policy.Result) error {
	var err error
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
