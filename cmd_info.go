package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/c7doctor/c7doctor/checks"
	"github.com/c7doctor/c7doctor/report"
)

func (a *app) explainCommand() *cli.Command {
	return &cli.Command{
		Name:      "explain",
		Usage:     "explain a finding, an Entra error code or a symptom",
		UsageText: "c7doctor explain <finding-id | AADSTSnnnn | words...>\n   c7doctor explain --list",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "list", Usage: "list every finding c7doctor can report"},
			infoOutputFlag(),
		},
		Action: func(c *cli.Context) error {
			asJSON, err := infoJSON(c)
			if err != nil {
				return err
			}
			if c.Bool("list") && asJSON {
				return writeExplainJSON(a.stdout, "", checks.Entries())
			}
			if c.Bool("list") {
				tw := tabwriter.NewWriter(a.stdout, 0, 2, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tSEVERITY\tCHECK\tTITLE")
				for _, e := range checks.Entries() {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.ID, e.Severity, e.Check, e.Title)
				}
				return tw.Flush()
			}
			if c.NArg() == 0 {
				return usageError("explain: expected a finding id, an AADSTS code or words (or --list)")
			}
			query := strings.Join(c.Args().Slice(), " ")
			entries := checks.Explain(query)
			if asJSON {
				if err := writeExplainJSON(a.stdout, query, entries); err != nil {
					return err
				}
			}
			if len(entries) == 0 {
				return &exitError{code: 1, msg: fmt.Sprintf("explain: nothing matches %q (c7doctor explain --list shows every finding)", query)}
			}
			if asJSON {
				return nil
			}
			data := checks.NewCommandData(&checks.Config{})
			for i, e := range entries {
				if i > 0 {
					fmt.Fprintln(a.stdout)
				}
				writeEntry(a, e, data)
			}
			return nil
		},
	}
}

func writeEntry(a *app, e checks.Entry, data checks.CommandData) {
	f := data.Finding(e.ID, "")
	fmt.Fprintf(a.stdout, "%s — %s (%s)\n", e.ID, e.Title, e.Severity)
	switch {
	case e.PolicyRule:
		fmt.Fprintf(a.stdout, "  reported by: %s (run), %s\n", e.Check, checks.PolicyLint)
	case e.Check != "":
		fmt.Fprintf(a.stdout, "  reported by: %s\n", e.Check)
	}
	for _, c := range e.AADSTS {
		fmt.Fprintf(a.stdout, "  entra: AADSTS%d\n", c)
	}
	for _, s := range f.Fix {
		fmt.Fprintf(a.stdout, "  fix: %s\n", s)
	}
	for _, c := range f.Commands {
		fmt.Fprintf(a.stdout, "  $ %s\n", c)
	}
	if f.Guide != nil {
		fmt.Fprintf(a.stdout, "  guide: %s %s\n", f.Guide.Section, f.Guide.URL())
	}
}

func (a *app) checksCommand() *cli.Command {
	return &cli.Command{
		Name:  "checks",
		Usage: "list the checks of a run, in order, with what each needs",
		Flags: []cli.Flag{infoOutputFlag()},
		Action: func(c *cli.Context) error {
			if asJSON, err := infoJSON(c); err != nil || asJSON {
				if err != nil {
					return err
				}
				return writeChecksJSON(a.stdout, checks.All)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 2, 2, ' ', 0)
			fmt.Fprintln(tw, "#\tID\tTITLE\tNEEDS")
			for i, ch := range checks.All {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", i+1, ch.ID, ch.Title, checks.NeedsOf(ch))
			}
			return tw.Flush()
		},
	}
}

func (a *app) versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version and commit c7doctor was built from",
		Action: func(c *cli.Context) error {
			_, err := fmt.Fprintln(a.stdout, versionLine())
			return err
		},
	}
}

// versionLine is what both `c7doctor version` and `c7doctor --version` print.
func versionLine() string {
	v, commit := report.BuildInfo()
	if commit != "" {
		return fmt.Sprintf("c7doctor %s (commit %s)", v, commit)
	}
	return "c7doctor " + v
}

func infoOutputFlag() cli.Flag {
	return &cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "text or json"}
}

// infoJSON reads -o of checks and explain.
func infoJSON(c *cli.Context) (bool, error) {
	switch o := c.String("output"); o {
	case "text":
		return false, nil
	case "json":
		return true, nil
	default:
		return false, usageError("%s: --output: expected text or json, got %q", c.Command.Name, o)
	}
}
