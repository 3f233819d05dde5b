package checks

import (
	"context"
	"testing"
	"time"

	"github.com/c7doctor/c7doctor/lab"
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
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	w, err := lab.Start(context.Background(), lab.Options{Faults: faults, SlowDelay: 2 * time.Second})
	if err != nil {
		t.Fatalf("lab: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	files, err := w.WriteFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := &Config{
		Gateway: w.GatewayURL, APIPath: w.APIPath, Tenant: w.TenantID,
		GatewayAppID: w.GatewayAppID, MCPAPIAppID: w.MCPAPIAppID, ClientID: AzureCLIClientID,
		AuthorityHost: w.AuthorityHost, GatewaySecretFile: files.Secret, GatewaySecret: w.GatewaySecret,
		Upstream: w.UpstreamURL, ProtocolVersion: "2025-06-18", Call: true, UpstreamProbe: true,
		CacheFile: files.Cache, Timeout: labTimeout(faults),
		Deadline: 45 * time.Second, DeviceCode: true, Lab: true,
	}
	cfg.GraphEndpoint = w.GraphURL
	if tweak != nil {
		tweak(cfg)
	}
	red := wire.NewRedactor()
	red.Secret(w.GatewaySecret)
	client, err := wire.New(wire.Options{Timeout: cfg.Timeout, RootCAs: w.CertPool, Redactor: red, GatewayOrigin: cfg.Gateway, AuthOrigins: []string{cfg.Upstream, cfg.GraphEndpoint}})
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{
		Config: cfg, HTTP: client, State: &State{}, Now: time.Now, Credential: labGraphCredential{w},
		Target: &report.Target{Gateway: cfg.Gateway, MCPEndpoint: cfg.MCPEndpoint(), Tenant: cfg.Tenant,
			GatewayAppID: cfg.GatewayAppID, MCPAPIAppID: cfg.MCPAPIAppID},
		Stderr: nopWriter{},
	}
	rep := Run(ctx, env, All, sel)
	return &labRun{World: w, Env: env, Report: rep}
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
