package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/c7doctor/c7doctor/lab"
	"github.com/c7doctor/c7doctor/report"
)

// labCommand is `c7doctor lab`: the embedded world served on loopback until
// interrupted, with the files and the command that check it.
func labCommand(a *app) *cli.Command {
	return &cli.Command{
		Name:      "lab",
		Usage:     "serve the lab (fake Entra tenant, APIM gateway, Context7) on loopback until interrupted",
		ArgsUsage: " ",
		Description: "Serves a world built like the guide's setup, on loopback HTTPS with its own CA, and\n" +
			"prints the `c7doctor run` command that checks it. Each --fault breaks it the way the\n" +
			"guide says a setup breaks, so you can rehearse a failure and read its diagnosis.",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "fault", Usage: "break the lab this way (repeatable or comma-separated; see --list-faults)"},
			&cli.BoolFlag{Name: "interactive", Usage: "device-code sign-ins wait for you to enter the code at the tenant's /devicelogin page"},
			&cli.DurationFlag{Name: "slow-delay", Value: 30 * time.Second, Usage: "how long every gateway answer waits under --fault gateway-slow"},
			&cli.DurationFlag{Name: "arm-delay", Usage: "how long every management-plane (ARM) answer waits before it starts (default: none)"},
			&cli.StringFlag{Name: "dir", Usage: "where to write ca.pem, gateway-secret and c7doctor.yaml (default: a new temporary directory, removed when the lab stops)"},
			&cli.BoolFlag{Name: "list-faults", Usage: "list every fault, its wire behaviour and the guide section it exercises, then exit"},
		},
		Action: a.serveLab,
	}
}

func (a *app) serveLab(c *cli.Context) error {
	if c.NArg() > 0 {
		return usageError("lab: unexpected argument %q", c.Args().First())
	}
	if c.Bool("list-faults") {
		return printFaults(a.stdout)
	}
	faults := splitIDs(c.StringSlice("fault"))
	if err := knownFaults(faults); err != nil {
		return err
	}
	if d := c.Duration("slow-delay"); d <= 0 {
		return usageError("lab: --slow-delay must be positive, got %s", d)
	}
	if d := c.Duration("arm-delay"); d < 0 {
		return usageError("lab: --arm-delay must not be negative, got %s", d)
	}

	ctx := c.Context
	// The lab's servers log from their own goroutines; this command talks on
	// the same stream, so every write goes through one lock.
	talk := &lockedWriter{w: a.stderr}
	w, err := lab.Start(ctx, lab.Options{
		Faults:      faults,
		Interactive: c.Bool("interactive"),
		SlowDelay:   c.Duration("slow-delay"),
		ARMDelay:    c.Duration("arm-delay"),
		Log:         talk,
	})
	if err != nil {
		return &exitError{code: report.ExitFailed, msg: err.Error()}
	}
	defer w.Close()

	dir, temporary := c.String("dir"), false
	if dir == "" {
		if dir, err = os.MkdirTemp("", "c7doctor-lab-"); err != nil {
			return &exitError{code: report.ExitFailed, msg: fmt.Sprintf("lab: %v", err)}
		}
		temporary = true
		defer os.RemoveAll(dir)
	}
	files, err := w.WriteFiles(dir)
	if err != nil {
		return &exitError{code: report.ExitFailed, msg: err.Error()}
	}

	printLab(a.stdout, w, files, faults, c.Bool("interactive"), temporary)
	fmt.Fprintln(talk, "Serving; Ctrl-C stops the lab. Requests:")
	<-ctx.Done()
	w.Close()
	fmt.Fprintln(talk, "lab stopped")
	return nil
}

// knownFaults refuses a fault the lab does not have, before anything starts.
func knownFaults(names []string) error {
	for _, f := range names {
		if !slices.ContainsFunc(lab.Faults(), func(k lab.Fault) bool { return k.Name == f }) {
			return usageError("--fault: unknown fault %q (c7doctor lab --list-faults lists them)", f)
		}
	}
	return nil
}

// printLab is what a person needs to use the lab: where each part is, who
// its users are, where the files went and the command that checks it.
func printLab(out io.Writer, w *lab.World, files lab.Files, faults []string, interactive, temporary bool) {
	fmt.Fprintln(out, "c7doctor lab: the guide's setup on loopback")
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  gateway (APIM)\t%s\n", w.GatewayURL)
	fmt.Fprintf(tw, "  MCP endpoint\t%s\n", w.MCPEndpoint)
	fmt.Fprintf(tw, "  tenant (Entra)\t%s/%s  (issuer %s)\n", w.AuthorityHost, w.TenantID, w.Issuer())
	fmt.Fprintf(tw, "  Context7\t%s\n", w.UpstreamURL)
	fmt.Fprintf(tw, "  management (ARM)\t%s  (instance %s in %s, subscription %s)\n", w.ARMEndpoint, w.APIMName, w.ResourceGroup, w.SubscriptionID)
	fmt.Fprintf(tw, "  tenant id\t%s  (%s)\n", w.TenantID, w.TenantDomain)
	fmt.Fprintf(tw, "  gateway app\t%s\n", w.GatewayAppID)
	fmt.Fprintf(tw, "  MCP API app\t%s\n", w.MCPAPIAppID)
	for i, u := range w.Users {
		label := ""
		if i == 0 {
			label = "users"
		}
		fmt.Fprintf(tw, "  %s\t%s <%s>  oid %s\n", label, u.Name, u.Email, u.OID)
	}
	tw.Flush()
	fmt.Fprintln(out)
	if len(faults) == 0 {
		fmt.Fprintln(out, "Faults: none (every check should pass).")
	} else {
		fmt.Fprintln(out, "Faults:")
		for _, f := range lab.Faults() {
			for _, on := range faults {
				if on == f.Name {
					fmt.Fprintf(out, "  %s: %s (guide: %s)\n", f.Name, f.Behaviour, f.Guide)
				}
			}
		}
	}
	fmt.Fprintln(out)
	where := "Files in " + files.Dir
	if temporary {
		where += " (removed when the lab stops)"
	}
	fmt.Fprintln(out, where+":")
	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  %s\tthe lab's CA certificate\n", files.CA)
	fmt.Fprintf(tw, "  %s\tthe gateway app's client secret (0600)\n", files.Secret)
	fmt.Fprintf(tw, "  %s\tthe client secret of the reader service principal (%s), Reader on the instance (0600)\n", files.ReaderSecret, w.ReaderAppID)
	fmt.Fprintf(tw, "  %s\tthe run settings\n", files.Config)
	fmt.Fprintf(tw, "  %s\ta token of %s, for runs without a terminal (0600, valid one hour)\n", files.Token, w.Users[0].Email)
	tw.Flush()
	fmt.Fprintln(out)
	if interactive {
		fmt.Fprintf(out, "Sign-ins wait for you: open %s/devicelogin (the browser will not know the lab's CA)\nand enter the code the run prints; you sign in as %s.\n\n", w.AuthorityHost, w.Users[0].Email)
	} else {
		fmt.Fprintf(out, "Device-code sign-ins are approved at once as %s.\n\n", w.Users[0].Email)
	}
	fmt.Fprintln(out, "Check it from another terminal:")
	fmt.Fprintln(out)
	fmt.Fprintln(out, "  "+files.RunCommand())
	fmt.Fprintln(out)
	fmt.Fprintln(out, "Device code needs a terminal; where there is none (CI, a pipe, a script), pass the token:")
	fmt.Fprintln(out)
	fmt.Fprintln(out, "  "+files.TokenCommand())
	fmt.Fprintln(out)
}

// printFaults is `lab --list-faults`: one row a fault.
func printFaults(out io.Writer) error {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FAULT\tAREA\tON THE WIRE\tGUIDE SECTION")
	for _, f := range lab.Faults() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Name, f.Area, f.Behaviour, strings.TrimSpace(f.Guide))
	}
	return tw.Flush()
}

// lockedWriter serialises writes from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
