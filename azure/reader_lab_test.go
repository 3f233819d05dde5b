package azure

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/c7doctor/c7doctor/lab"
	"github.com/c7doctor/c7doctor/lab/labtest"
	"github.com/c7doctor/c7doctor/wire"
)

// labReader reads the lab's management plane as a run does: the reader
// app's secret credential from the lab's tenant, the run's wire client.
func labReader(t testing.TB, w *lab.World) *Reader {
	t.Helper()
	c, err := wire.New(wire.Options{RootCAs: w.CertPool, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	o := Options{Transport: c.HTTPClient(), TryTimeout: 10 * time.Second, Cloud: Cloud{
		Name: "lab", AuthorityHost: w.AuthorityHost, ARMEndpoint: w.ARMEndpoint, ARMAudience: Clouds[0].ARMAudience,
	}}
	cred, err := SecretCredential(w.TenantID, w.ReaderAppID, w.ReaderSecret, o)
	if err != nil {
		t.Fatal(err)
	}
	return NewReader(cred, o)
}

func labPaths(w *lab.World) []string { return []string{w.APIPath, ""} }

func proxyName(a *APIM) string {
	api, _ := a.FindAPI("")
	return api.Name
}

// The lab's instance read end to end: every scope's document where the
// lab holds one, each included fragment, and diagnostics whose effective
// setting is what the fault made it.
func TestReadLab(t *testing.T) {
	cases := []struct {
		fault string
		// buffers is the level whose diagnostic logs response bodies on
		// the MCP API, "" none.
		buffers DiagnosticScope
	}{
		{"", ""},
		{"diagnostics-body-logging", DiagnosticAPI},
		{"sse-truncated", DiagnosticService},
	}
	for _, tc := range cases {
		t.Run("fault "+tc.fault, func(t *testing.T) {
			var faults []string
			if tc.fault != "" {
				faults = []string{tc.fault}
			}
			w := labtest.Start(t, lab.Options{Faults: faults})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			a, err := labReader(t, w).ReadAPIM(ctx, Target{Service: w.APIMName}, ReadOptions{APIPaths: labPaths(w)})
			if err != nil {
				t.Fatal(err)
			}
			// The system-assigned identity the MCP policy's exchange uses.
			if id := a.Service.Identity; !id.SystemAssigned() || id.TenantID != w.TenantID {
				t.Errorf("identity %+v", id)
			}
			p := a.Policies
			if len(p.Errs) != 0 || len(a.Diagnostics.Errs) != 0 || a.APIsErr != nil {
				t.Fatalf("policy errors %v, diagnostic errors %v, APIs %v", p.Errs, a.Diagnostics.Errs, a.APIsErr)
			}
			mcp, ok := a.FindAPI(w.APIPath)
			if !ok {
				t.Fatalf("no API at %q", w.APIPath)
			}
			if _, ok := p.Doc(PolicyAPI, mcp.Name, ""); !ok {
				t.Errorf("no policy on the MCP API: %s", wheres(p.Docs))
			}
			if _, ok := p.Doc(PolicyGlobal, "", ""); !ok {
				t.Errorf("no global policy: %s", wheres(p.Docs))
			}
			// Every fragment a document includes was read.
			read := map[string]bool{}
			for _, d := range p.Docs {
				if d.Scope == PolicyFragment {
					read[d.Fragment] = true
				}
			}
			for _, d := range p.Docs {
				for _, id := range includedFragments(d.XML) {
					if !read[id] {
						t.Errorf("%s includes fragment %s, not read", d.Where(), id)
					}
				}
				if d.XML == "" {
					t.Errorf("%s: empty document", d.Where())
				}
			}
			if apis := p.ProductAPIs; len(apis) == 0 {
				t.Error("no product holds the MCP API")
			}
			for product, apis := range p.ProductAPIs {
				for _, api := range apis {
					if api != mcp.Name && api != proxyName(a) {
						t.Errorf("product %s: API %s is not one read", product, api)
					}
				}
			}
			var buffers DiagnosticScope
			for _, s := range a.Diagnostics.Effective(mcp.Name) {
				if s.BuffersResponses() {
					buffers = s.Scope
				}
			}
			if buffers != tc.buffers {
				t.Errorf("the MCP API's response bodies are logged at level %q, want %q: %+v", buffers, tc.buffers, a.Diagnostics.Settings)
			}
			t.Logf("documents: %s; products %v", wheres(p.Docs), p.ProductAPIs)
		})
	}
}

// BenchmarkReadLabSlowARM reads the lab's instance with every ARM answer
// delayed 150 ms: the config read's share of a run's wall time, with the
// lab's settings (target given) and with only the instance's name.
func BenchmarkReadLabSlowARM(b *testing.B) {
	w := labtest.Start(b, lab.Options{ARMDelay: armDelay})
	r := labReader(b, w)
	for _, tc := range []struct {
		name   string
		target Target
	}{
		{"target", Target{Subscription: w.SubscriptionID, ResourceGroup: w.ResourceGroup, Service: w.APIMName}},
		{"inferred", Target{Service: w.APIMName}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var wall time.Duration
			for b.Loop() {
				start := time.Now()
				a, err := r.ReadAPIM(context.Background(), tc.target, ReadOptions{Secrets: true, APIPaths: labPaths(w)})
				wall += time.Since(start)
				if err != nil || len(a.Policies.Docs) == 0 || len(a.Policies.Errs) != 0 {
					b.Fatalf("%v %v", err, a.Policies.Errs)
				}
			}
			b.ReportMetric(float64(wall.Milliseconds())/float64(b.N), "wall-ms/read")
		})
	}
}

// A reader without a role on the lab's instance gets one clear refusal for
// the instance, and each part says it was refused (nothing read as empty).
func TestReadLabForbidden(t *testing.T) {
	w := labtest.Start(t, lab.Options{Faults: []string{"arm-forbidden"}})
	target := Target{Subscription: w.SubscriptionID, ResourceGroup: w.ResourceGroup, Service: w.APIMName}
	a, err := labReader(t, w).ReadAPIM(context.Background(), target, ReadOptions{APIPaths: labPaths(w)})
	if KindOf(err) != KindNoAccess || !strings.Contains(err.Error(), "AuthorizationFailed") {
		t.Fatalf("%v", err)
	}
	if len(a.Policies.Docs) != 0 || len(a.Policies.Errs) == 0 || KindOf(a.Policies.Errs[0]) != KindNoAccess {
		t.Errorf("policies %s, errors %v", wheres(a.Policies.Docs), a.Policies.Errs)
	}
	if len(a.Diagnostics.Errs) == 0 || KindOf(a.Diagnostics.Errs[0]) != KindNoAccess {
		t.Errorf("diagnostics errors %v", a.Diagnostics.Errs)
	}
}
