package main

import (
	"fmt"
	"strings"

	"github.com/cpuguy83/go-md2man/v2/md2man"
	"github.com/urfave/cli/v2"
)

// manSections are what the CLI definition cannot say: exit codes and the
// environment. They follow the generated part of the page.
const manSections = `
# EXIT STATUS

- **0** the gateway is healthy (warnings allowed)
- **1** a check failed (with **--strict**, a warning too)
- **2** bad invocation or configuration
- **3** incomplete: a check named in **--require** could not run
- **130** interrupted

# ENVIRONMENT

Every run flag may be set by **C7DOCTOR_**_FLAG_ (upper case, dashes as underscores), e.g. **C7DOCTOR_GATEWAY**;
a flag beats the environment, which beats the config file. **C7DOCTOR_TOKEN** holds a gateway token and
**C7DOCTOR_GATEWAY_SECRET** the gateway app's client secret: neither ever appears in any output.

**NO_COLOR** (when not empty) turns colour off. **CLICOLOR_FORCE** (when not empty and not 0) turns it on in text
output even when stdout is not a terminal; JSON, JUnit and Markdown never carry colour.

# FILES

_./c7doctor.yaml_ run settings, read when present (keys are the long names of the run flags).
`

func (a *app) manCommand() *cli.Command {
	return &cli.Command{
		Name:      "man",
		Usage:     "print the manual page (roff), generated from the command definitions",
		UsageText: "c7doctor man > c7doctor.1 && man ./c7doctor.1",
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError("man: unexpected argument %q", c.Args().First())
			}
			page, err := manPage(a.cli())
			if err != nil {
				return &exitError{code: 1, msg: fmt.Sprintf("man: %v", err)}
			}
			_, err = fmt.Fprint(a.stdout, page)
			return err
		},
	}
}

// manPage renders the app's own definition (commands, flags, usage) as a
// section 1 page, so the page cannot drift from the CLI.
func manPage(app *cli.App) (string, error) {
	md, err := app.ToMarkdown()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("% " + app.Name + " 1\n\n")
	// "[$C7DOCTOR_X] (default: y)" in a flag's usage would read as a
	// Markdown link and lose both.
	b.WriteString(strings.ReplaceAll(md, "[$", `\[$`))
	b.WriteString(manSections)
	return string(md2man.Render([]byte(b.String()))), nil
}
