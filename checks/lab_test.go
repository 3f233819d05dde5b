package checks

import (
	"context"
	"io"
	"os"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/c7doctor/c7doctor/azure"
	"github.com/c7doctor/c7doctor/lab"
	"github.com/c7doctor/c7doctor/lab/labtest"
	"github.com/c7doctor/c7doctor/report"
	"github.com/c7doctor/c7doctor/wire"
)

// labRun is a run against a fresh lab with the given faults, configured as
// `c7doctor run --lab` configures it. tweak may adjust the config first.
type labRun struct {
	World  *lab.World
	Env    *Env
	Report *report.Report
}

func runLab(t *testing.T, sel Selection, tweak func(*Config), faults ...string) *labRun {
	t.Helper()
	return runLabContext(t, context.Background(), sel, tweak, faults...)
}

// runLabContext is runLab under a context the test may cancel.
func runLabContext(t *testing.T, parent context.Context, sel Selection, tweak func(*Config), faults ...string) *labRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(parent, 60*time.Second)
	defer cancel()
	w := labtest.Start(t, lab.Options{Faults: faults, SlowDelay: 2 * time.Second})
	return runOnWorld(t, ctx, w, sel, func(c *Config) {
		c.Timeout = labTimeout(faults)
		if tweak != nil {
			tweak(c)
		}
	}, nil)
}

// runOnWorld runs the checks against an existing lab world, configured from
// the lab's settings as `c7doctor run --lab` is, so that two runs can share
// one tenant. stderr receives what a person would see.
func runOnWorld(t *testing.T, ctx context.Context, w *lab.World, sel Selection, tweak func(*Config), stderr io.Writer) *labRun {
	t.Helper()
	cfg := labConfig(t, labtest.Settings(t, w))
	if tweak != nil {
		tweak(cfg)
	}
	env := labEnv(t, w, cfg, stderr)
	return &labRun{World: w, Env: env, Report: Run(ctx, env, All, sel)}
}

// labEnv is the Env of a run against the lab with cfg, reading the
// configuration with the lab's reader, as `c7doctor run --lab` has it.
func labEnv(t testing.TB, w *lab.World, cfg *Config, stderr io.Writer) *Env {
	t.Helper()
	red := wire.NewRedactor()
	red.Secret(cfg.GatewaySecret, w.ReaderSecret)
	client, err := wire.New(wire.Options{Timeout: cfg.Timeout, RootCAs: w.CertPool, Redactor: red, GatewayOrigin: cfg.Gateway, AuthOrigins: []string{cfg.Upstream, w.ARMEndpoint, w.GraphURL}})
	if err != nil {
		t.Fatal(err)
	}
	if stderr == nil {
		stderr = io.Discard
	}
	return &Env{
		Config: cfg, HTTP: client, State: &State{}, Now: time.Now, ARM: labARM(t, w, client, cfg), Graph: labGraph(t, w, client, cfg),
		Target: &report.Target{Gateway: cfg.Gateway, MCPEndpoint: cfg.MCPEndpoint(), Tenant: cfg.Tenant,
			GatewayAppID: cfg.GatewayAppID, MCPAPIAppID: cfg.MCPAPIAppID},
		Stderr:      red.Writer(stderr),
		OpenBrowser: w.Browser, // the lab's person at a browser, as run --lab has it
	}
}

// labConfig is the Config of a run with the lab's settings and c7doctor's
// defaults; device code is allowed because the lab approves it by itself.
func labConfig(t testing.TB, s lab.Settings) *Config {
	t.Helper()
	secret, err := os.ReadFile(s.GatewaySecretFile)
	if err != nil {
		t.Fatal(err)
	}
	return &Config{
		Gateway: s.Gateway, APIPath: s.APIPath, Tenant: s.Tenant,
		GatewayAppID: s.GatewayAppID, MCPAPIAppID: s.MCPAPIAppID, ClientID: AzureCLIClientID,
		AuthorityHost: s.AuthorityHost, GatewaySecretFile: s.GatewaySecretFile, GatewaySecret: string(secret),
		Upstream: s.Upstream, ProtocolVersion: DefaultProtocolVersion, Call: s.Call, UpstreamProbe: s.UpstreamProbe,
		CacheFile: s.CacheFile, Timeout: 2 * time.Second, Deadline: 45 * time.Second, DeviceCode: true,
		Subscription: s.Subscription, ResourceGroup: s.ResourceGroup, APIMName: s.APIMName, ReadSecrets: s.ReadSecrets,
	}
}

// labTimeout is roomy, so that a loaded CI machine running -race on two
// cores never times out a healthy hop, except under gateway-slow, whose
// point is a timeout: there it is well below the lab's slow delay.
func labTimeout(faults []string) time.Duration {
	for _, f := range faults {
		if f == "gateway-slow" {
			return 400 * time.Millisecond
		}
	}
	return 5 * time.Second
}

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }

// firstFailure is the id of the first failed check, "" when none failed.
func firstFailure(rep *report.Report) string {
	for _, c := range rep.Checks {
		if c.Status == report.Fail {
			return c.ID
		}
	}
	return ""
}

// findingIDs lists the finding ids of a check.
func findingIDs(rep *report.Report, check string) []string {
	c, ok := rep.Find(check)
	if !ok {
		return nil
	}
	var out []string
	for _, f := range c.Findings {
		out = append(out, f.ID)
	}
	return out
}

// labARM is the lab's management plane read as `run --lab` reads it: the
// reader service principal's client-secret credential on the run's client.
func labARM(t testing.TB, w *lab.World, client *wire.Client, cfg *Config) APIMReader {
	t.Helper()
	cred, o := labCredential(t, w, client, cfg)
	return azure.NewReader(cred, o)
}

// labGraph reads the lab's Graph stand-in with the same credential.
func labGraph(t testing.TB, w *lab.World, client *wire.Client, cfg *Config) GraphReader {
	t.Helper()
	cred, o := labCredential(t, w, client, cfg)
	g, err := azure.NewGraph(cred, o)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// labCredential is the lab's reader service principal, as run --lab signs in.
func labCredential(t testing.TB, w *lab.World, client *wire.Client, cfg *Config) (azcore.TokenCredential, azure.Options) {
	t.Helper()
	o := azure.Options{Transport: client.HTTPClient(), TryTimeout: cfg.Timeout, Cloud: azure.Cloud{
		AuthorityHost: w.AuthorityHost, ARMEndpoint: w.ARMEndpoint, ARMAudience: azure.Clouds[0].ARMAudience, GraphEndpoint: w.GraphURL,
	}}
	cred, err := azure.SecretCredential(w.TenantID, w.ReaderAppID, w.ReaderSecret, o)
	if err != nil {
		t.Fatal(err)
	}
	return cred, o
}
