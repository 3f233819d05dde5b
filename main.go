// Command c7doctor diagnoses and smoke-tests an Azure API Management gateway
// in front of the hosted Context7 MCP server, secured by Microsoft Entra ID
// with an On-Behalf-Of exchange.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/pkg/browser"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/c7doctor/c7doctor/checks"
	"github.com/c7doctor/c7doctor/report"
	"github.com/c7doctor/c7doctor/wire"
)

func main() {
	os.Exit(run(context.Background(), os.Args, os.Stdin, os.Stdout, os.Stderr, os.LookupEnv, time.Now, isTerminal))
}

// app is what every command works with; tests build it with fakes.
type app struct {
	stdin      io.Reader
	stdout     io.Writer
	stderr     io.Writer
	getenv     func(string) (string, bool)
	now        func() time.Time
	isTerminal func(stream any) bool
	// checkList is the journey a run makes; tests replace it.
	checkList []checks.Check
	// args is the command line as typed, for messages that quote it.
	args []string
	// openBrowser shows a sign-in URL to the person (--flow browser).
	openBrowser func(ctx context.Context, url string) error
	// azureChain lets a real run read the configuration with azidentity's
	// default chain; tests leave it off, so only --azure-client-id (the
	// lab's reader) gives them a credential.
	azureChain bool
}

// systemBrowser opens the system's browser. What the browser's launcher
// prints is dropped: stdout is the report.
func systemBrowser(_ context.Context, url string) error {
	browser.Stdout, browser.Stderr = io.Discard, io.Discard
	return browser.OpenURL(url)
}

func isTerminal(stream any) bool {
	f, ok := stream.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// exitError carries an exit code; its message, if any, goes to stderr.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func usageError(format string, args ...any) error {
	return &exitError{code: report.ExitUsage, msg: fmt.Sprintf(format, args...)}
}

// run builds the CLI and runs it; it returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer,
	getenv func(string) (string, bool), now func() time.Time, isTerm func(any) bool) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv, now: now, isTerminal: isTerm, checkList: checks.All,
		openBrowser: systemBrowser, azureChain: true}
	return a.execute(ctx, args)
}

// execute runs the CLI for an app and maps errors to exit codes.
func (a *app) execute(ctx context.Context, args []string) int {
	stderr := a.stderr
	ctx, stop := a.signalContext(ctx)
	defer stop()
	a.args = args
	cliApp := a.cli()
	err := cliApp.RunContext(ctx, args)
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		if ee.msg != "" {
			fmt.Fprintln(stderr, "c7doctor: "+wire.NewRedactor().String(ee.msg))
		}
		return ee.code
	default:
		// Errors from flag parsing and unknown commands are usage errors.
		fmt.Fprintln(stderr, "c7doctor: "+wire.NewRedactor().String(err.Error()))
		return report.ExitUsage
	}
}

// signalContext ends ctx with checks.ErrInterrupted on SIGINT or SIGTERM.
func (a *app) signalContext(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-ch:
			cancel(checks.ErrInterrupted)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}

func (a *app) cli() *cli.App {
	return &cli.App{
		Name:  "c7doctor",
		Usage: "diagnose an Azure APIM gateway in front of Context7's MCP server, secured by Entra ID with OBO",
		Description: "c7doctor walks the path an MCP client takes through the gateway of the guide\n" +
			"\"Azure API Management as MCP gateway\" and names the broken hop, the Entra error\n" +
			"and the guide section that fixes it.",
		Reader:          a.stdin,
		Writer:          a.stdout,
		ErrWriter:       a.stderr,
		HideHelpCommand: true,
		ExitErrHandler:  func(*cli.Context, error) {}, // run() maps errors to exit codes
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError("%s", asTyped(err, a.args))
		},
		// --version is ours, not urfave/cli's: its printer is a package
		// global and its -v would read like run's --verbose.
		Flags:  []cli.Flag{&cli.BoolFlag{Name: "version", Usage: "print the version (as c7doctor version)"}},
		Action: a.rootAction,
		Commands: a.commandsWithUsageErrors(
			a.runCommand(),
			labCommand(a),
			a.explainCommand(),
			a.checksCommand(),
			a.versionCommand(),
			a.initCommand(),
			a.tokenCommand(),
			a.logoutCommand(),
			a.completionCommand(),
			a.completeCommand(),
			a.policyCommand(),
			a.manCommand(),
		),
	}
}

// rootAction runs when no command is named: --version, help, or an
// unknown command (exit 2, like any bad invocation).
func (a *app) rootAction(c *cli.Context) error {
	switch {
	case c.Bool("version"):
		_, err := fmt.Fprintln(a.stdout, versionLine())
		return err
	case c.NArg() > 0:
		return usageError("unknown command %q (c7doctor --help lists the commands)", c.Args().First())
	}
	return cli.ShowAppHelp(c)
}

// commandsWithUsageErrors makes a bad flag on any command one line on
// stderr and exit 2, instead of urfave/cli's help dump on stdout.
func (a *app) commandsWithUsageErrors(cmds ...*cli.Command) []*cli.Command {
	var walk func([]*cli.Command)
	walk = func(cs []*cli.Command) {
		for _, c := range cs {
			name := c.Name
			c.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
				return usageError("%s: %s", name, asTyped(err, a.args))
			}
			if len(c.Subcommands) > 0 && c.Action == nil {
				c.Action = unknownCommand
			}
			walk(c.Subcommands)
		}
	}
	walk(cmds)
	return cmds
}

// unknownCommand answers a command line naming no command it knows: help
// when nothing was named, else a usage error naming what was typed.
func unknownCommand(c *cli.Context) error {
	sub := c.Command != nil && c.Command.Name != "" && c.Command.Name != c.App.Name
	if !c.Args().Present() {
		if sub {
			return cli.ShowSubcommandHelp(c)
		}
		return cli.ShowAppHelp(c)
	}
	where := "c7doctor"
	if sub {
		where += " " + c.Command.Name
	}
	return usageError("unknown command %q (%s --help lists the commands)", c.Args().First(), where)
}

// undefinedFlag is the flag package's message for a flag it does not know;
// it prints the name with one dash whatever was typed.
var undefinedFlag = wire.NewLazyRegexp(`flag provided but not defined: -+([^\s=]+)`)

// asTyped rewrites a flag parsing error to quote the flag as it was typed.
func asTyped(err error, args []string) string {
	msg := err.Error()
	m := undefinedFlag.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	typed := "--" + m[1]
	for _, arg := range args {
		if arg == "--" {
			break
		}
		name, _, _ := strings.Cut(arg, "=")
		if strings.HasPrefix(name, "-") && strings.TrimLeft(name, "-") == m[1] {
			typed = name
			break
		}
	}
	return fmt.Sprintf("unknown flag %s", typed)
}
