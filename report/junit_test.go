package report_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/c7doctor/c7doctor/report"
)

// -update rewrites the golden files. Other golden tests of this package may
// define the flag too; whoever comes first owns it.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files in testdata/")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if updating() {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	// Git on Windows may check the golden files out with CRLF.
	want = bytes.ReplaceAll(want, []byte("\r\n"), []byte("\n"))
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (go test ./report -update rewrites it)\n--- got\n%s", path, got)
	}
}

var fixedStart = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

func guide(section, anchor string) *report.Guide {
	return &report.Guide{Section: section, Anchor: anchor}
}

// brokenReport is a run that found a v1 token and a refused OBO exchange,
// with text that needs escaping in every format.
func brokenReport() *report.Report {
	r := &report.Report{
		Tool: report.Tool{Name: "c7doctor", Version: "v1.4.0"},
		Target: report.Target{
			Gateway: "https://apim-contoso.azure-api.net", MCPEndpoint: "https://apim-contoso.azure-api.net/context7/mcp",
			Tenant: "72f988bf-86f1-41af-91ab-2d7cd011db47", GatewayAppID: "3f2b9c41-8d6e-4a7b-b5c2-9e1f0d4a6c83",
			MCPAPIAppID: "9a1c2e3f-4b5d-4e6f-8a7b-1c2d3e4f5a6b", Inferred: []string{"tenant", "gateway_app_id"},
		},
		StartedAt: fixedStart,
		Duration:  2345 * time.Millisecond,
		Checks: []report.Check{
			{
				ID: "challenge", Title: "401 challenge from the MCP endpoint", Status: report.Pass, Duration: 41 * time.Millisecond,
				Summary: "401 with resource_metadata on the gateway's origin",
				Evidence: report.Evidence{
					{Key: "status", Value: "401"},
					{Key: "www-authenticate", Value: `Bearer resource_metadata="https://apim-contoso.azure-api.net/.well-known/oauth-protected-resource"`},
				},
			},
			{
				ID: "prm", Title: "Protected resource metadata", Status: report.Warn, Duration: 38 * time.Millisecond,
				Summary:  "resource is a prefix of the MCP endpoint",
				Evidence: report.Evidence{{Key: "resource", Value: "https://apim-contoso.azure-api.net/context7"}, {Key: "odd", Value: "a|b `c` <d> & e"}},
				Findings: []report.Finding{{
					ID: "prm-placeholder", Severity: report.Warning, Title: "The PRM still holds a template placeholder",
					Detail: "scopes_supported[1] is \"api://<gateway-app-id>/Mcp.Gateway.Access\": the value from the guide's template, never replaced.",
					Fix:    []string{"Replace <gateway-app-id> in prm-policy.xml with the Gateway app's client id and re-apply it (Part 5 Step 2)."},
					Guide:  guide("Step 2: Attach the discovery + redirect policies", "step-2-attach-the-discovery--redirect-policies"),
				}},
			},
			{
				ID: "as-metadata", Title: "Authorization server metadata", Status: report.Pass, Duration: 35 * time.Millisecond,
				Summary: "issuer, endpoints and jwks_uri as the guide sets them",
				Findings: []report.Finding{{
					ID: "as-s256-present", Severity: report.Info, Title: "S256 is advertised", Detail: "code_challenge_methods_supported holds S256.",
				}},
			},
			{
				ID: "gateway-token", Title: "Token for the gateway", Status: report.Pass, Duration: 12 * time.Millisecond,
				Summary:  "from --token-file",
				Evidence: report.Evidence{{Key: "token", Value: "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiIzZjJiIn0"}},
			},
			{
				ID: "gateway-claims", Title: "Gateway token claims", Status: report.Fail, Duration: 3 * time.Millisecond,
				Summary: "The token has a v1 issuer (sts.windows.net)",
				Findings: []report.Finding{
					{
						ID: "token-v1-issuer", Severity: report.Error, Title: "The token has a v1 issuer (sts.windows.net)",
						Detail:   "iss is https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/; APIM's validate-azure-ad-token expects the v2 issuer.\nAPIM answers such a token with 401.",
						Fix:      []string{"Set requestedAccessTokenVersion to 2 in the APIM Gateway app's manifest (Part 2 Step 2), then get a new token."},
						Commands: []string{"az ad app update --id 3f2b9c41-8d6e-4a7b-b5c2-9e1f0d4a6c83 --set api.requestedAccessTokenVersion=2"},
						Guide:    guide("401 Unauthorized at APIM", "401-unauthorized-at-apim"),
					},
					{
						ID: "token-expired", Severity: report.Error, Title: "The token expired",
						Detail: "exp 2026-03-14T08:00:00Z is 86 minutes in the past (5 min skew allowed).",
						Fix:    []string{"Get a new token."},
						Guide:  guide("401 Unauthorized at APIM", "401-unauthorized-at-apim"),
					},
				},
			},
			{
				ID: "obo", Title: "On-Behalf-Of exchange", Status: report.Fail, Duration: 211 * time.Millisecond,
				Summary: "Entra refused the exchange: AADSTS65001",
				Findings: []report.Finding{{
					ID: "obo-consent", Severity: report.Error, Title: "The OBO exchange is not consented (AADSTS65001)",
					Detail: "AADSTS65001: The user or administrator has not consented to use the application.\n1. this line looks like a list item\n- and so does this one\n\x01 control ]]> characters",
					Fix:    []string{"In the APIM Gateway app, API permissions must list Context7 MCP API → mcp.access (Delegated), granted for the tenant; grant admin consent."},
					Commands: []string{
						"az ad app permission add --id 3f2b9c41-8d6e-4a7b-b5c2-9e1f0d4a6c83 --api 9a1c2e3f-4b5d-4e6f-8a7b-1c2d3e4f5a6b --api-permissions <mcp.access-scope-id>=Scope",
						"az ad app permission admin-consent --id 3f2b9c41-8d6e-4a7b-b5c2-9e1f0d4a6c83",
					},
					Guide:         guide("OBO exchange returns AADSTS50013 or AADSTS65001", "obo-exchange-returns-aadsts50013-or-aadsts65001"),
					AADSTS:        []int{65001},
					TraceID:       "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
					CorrelationID: "a9b8c7d6-e5f4-4321-8765-0fedcba98765",
				}},
			},
			{
				ID: "obo-claims", Title: "OBO token claims", Status: report.Skip, Summary: "needs obo",
			},
			{
				ID: "upstream", Title: "OBO token straight to Context7", Status: report.Skip, Summary: "not requested: --upstream-probe",
			},
		},
	}
	r.Finalize([]string{"gateway-token", "obo"}, false)
	return r
}

// healthyReport passes with one warning, durations zero.
func healthyReport() *report.Report {
	r := &report.Report{
		Tool:      report.Tool{Name: "c7doctor", Version: "(devel)"},
		Target:    report.Target{Gateway: "https://apim.example.net", MCPEndpoint: "https://apim.example.net/context7/mcp", Tenant: "contoso.onmicrosoft.com"},
		StartedAt: fixedStart,
		Checks: []report.Check{
			{ID: "challenge", Title: "401 challenge from the MCP endpoint", Status: report.Pass, Summary: "ok"},
			{
				ID: "as-metadata", Title: "Authorization server metadata", Status: report.Warn, Summary: "S256 is not advertised",
				Findings: []report.Finding{{
					ID: "as-no-s256", Severity: report.Warning, Title: "S256 is not advertised",
					Detail: "code_challenge_methods_supported is absent: Entra omits it, so clients that insist on it refuse the server.",
					Fix:    []string{"Keep \"code_challenge_methods_supported\": [\"S256\"] in as-metadata-policy.xml."},
					Guide:  guide("Step 2: Attach the discovery + redirect policies", "step-2-attach-the-discovery--redirect-policies"),
				}, {
					ID: "as-entra-issuer", Severity: report.Info, Title: "The issuer is the gateway, not Entra",
					Detail: "As the guide sets it up: clients talk to the gateway, which forwards to Entra.",
				}},
			},
			{ID: "mcp-tools", Title: "MCP tools through the gateway", Status: report.Pass, Summary: "resolve-library-id and query-docs listed"},
		},
	}
	r.Finalize(nil, false)
	return r
}

// incompleteReport could not test what CI requires: no token.
func incompleteReport() *report.Report {
	r := &report.Report{
		Tool:      report.Tool{Name: "c7doctor", Version: "v1.4.0"},
		Target:    report.Target{Gateway: "https://apim.example.net", MCPEndpoint: "https://apim.example.net/context7/mcp"},
		StartedAt: fixedStart,
		Checks: []report.Check{
			{ID: "challenge", Title: "401 challenge from the MCP endpoint", Status: report.Pass, Summary: "ok"},
			{
				ID: "gateway-token", Title: "Token for the gateway", Status: report.Skip,
				Summary: "no token: set C7DOCTOR_TOKEN, --token-file or a token cache (device code needs a terminal)",
				Findings: []report.Finding{{
					ID: "no-token", Severity: report.Info, Title: "No token for the gateway",
					Fix: []string{"In CI, restore a test user's token cache or pass a token from az account get-access-token."},
				}},
			},
			{ID: "mcp-initialize", Title: "MCP initialize through the gateway", Status: report.Skip, Summary: "needs gateway-token"},
		},
	}
	r.Finalize([]string{"gateway-token", "mcp-initialize"}, false)
	return r
}

var fixtures = []struct {
	name   string
	report func() *report.Report
	exit   int
}{
	{"broken", brokenReport, report.ExitFailed},
	{"healthy", healthyReport, report.ExitHealthy},
	{"incomplete", incompleteReport, report.ExitIncomplete},
}

func render(t *testing.T, format string, r *report.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := report.Render(format, &buf, r, report.Options{}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestJUnitGolden(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			r := fx.report()
			if r.ExitCode != fx.exit {
				t.Fatalf("fixture exit code %d, want %d", r.ExitCode, fx.exit)
			}
			golden(t, "junit-"+fx.name+".xml", render(t, "junit", r))
		})
	}
}

// The consumer's view: what a JUnit reader decodes, declared apart from the
// renderer's own types.
type xSuites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    string   `xml:"tests,attr"`
	Failures string   `xml:"failures,attr"`
	Errors   string   `xml:"errors,attr"`
	Time     string   `xml:"time,attr"`
	Suites   []xSuite `xml:"testsuite"`
}

type xSuite struct {
	Name       string `xml:"name,attr"`
	Tests      string `xml:"tests,attr"`
	Failures   string `xml:"failures,attr"`
	Errors     string `xml:"errors,attr"`
	Skipped    string `xml:"skipped,attr"`
	Time       string `xml:"time,attr"`
	Timestamp  string `xml:"timestamp,attr"`
	Properties []struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	} `xml:"properties>property"`
	Cases []xCase `xml:"testcase"`
}

type xCase struct {
	Name      string `xml:"name,attr"`
	Classname string `xml:"classname,attr"`
	Time      string `xml:"time,attr"`
	Failures  []struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	} `xml:"failure"`
	Errors  []struct{} `xml:"error"`
	Skipped []struct {
		Message string `xml:"message,attr"`
		Text    string `xml:",chardata"`
	} `xml:"skipped"`
	SystemOut string `xml:"system-out"`
}

func atoi(t *testing.T, what, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%s: %q is not a count", what, s)
	}
	return n
}

func seconds(t *testing.T, what, s string) {
	t.Helper()
	if f, err := strconv.ParseFloat(s, 64); err != nil || f < 0 || strings.ContainsAny(s, "eE") {
		t.Fatalf("%s: time %q is not plain decimal seconds", what, s)
	}
}

func TestJUnitStructure(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			r := fx.report()
			out := render(t, "junit", r)
			if !bytes.HasPrefix(out, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) {
				t.Errorf("no XML declaration:\n%s", out)
			}
			// Well-formed from the first byte to the last: a strict
			// decoder reads every token without error.
			dec := xml.NewDecoder(bytes.NewReader(out))
			dec.Strict = true
			for {
				if _, err := dec.Token(); err != nil {
					if err.Error() != "EOF" {
						t.Fatalf("not well-formed: %v\n%s", err, out)
					}
					break
				}
			}
			var doc xSuites
			if err := xml.Unmarshal(out, &doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Suites) != 1 {
				t.Fatalf("%d testsuites, want exactly one", len(doc.Suites))
			}
			s := doc.Suites[0]
			if len(s.Cases) != len(r.Checks) || atoi(t, "tests", s.Tests) != len(r.Checks) || atoi(t, "root tests", doc.Tests) != len(r.Checks) {
				t.Fatalf("%d testcases (tests=%s), want one per check (%d)", len(s.Cases), s.Tests, len(r.Checks))
			}
			seconds(t, "suite", s.Time)
			seconds(t, "root", doc.Time)
			if _, err := time.Parse("2006-01-02T15:04:05", s.Timestamp); err != nil {
				t.Errorf("timestamp %q: %v", s.Timestamp, err)
			}
			failures, skipped := 0, 0
			for i, tc := range s.Cases {
				c := r.Checks[i]
				seconds(t, tc.Name, tc.Time)
				if tc.Name != c.ID || tc.Classname == "" {
					t.Errorf("testcase %d named %q/%q, want the check id %q and a classname", i, tc.Classname, tc.Name, c.ID)
				}
				if len(tc.Errors) != 0 {
					t.Errorf("%s: <error> is for the tool's own faults; a check's failure is a <failure>", c.ID)
				}
				switch c.Status {
				case report.Fail:
					failures++
					if len(tc.Failures) != 1 || len(tc.Skipped) != 0 {
						t.Fatalf("%s: failed check must carry one <failure> and no <skipped>: %+v", c.ID, tc)
					}
					f := tc.Failures[0]
					if f.Message == "" || f.Type != c.Findings[0].ID {
						t.Errorf("%s: failure message %q type %q, want the first finding's title and id", c.ID, f.Message, f.Type)
					}
					for _, fd := range c.Findings {
						for _, want := range append([]string{fd.ID, fd.Title, fd.Guide.Section, fd.Guide.URL()}, fd.Commands...) {
							if !strings.Contains(f.Text, want) {
								t.Errorf("%s: failure text lacks %q:\n%s", c.ID, want, f.Text)
							}
						}
					}
				case report.Skip:
					skipped++
					if len(tc.Skipped) != 1 || len(tc.Failures) != 0 || tc.Skipped[0].Message != c.Summary {
						t.Errorf("%s: skipped check must carry <skipped message=%q>: %+v", c.ID, c.Summary, tc)
					}
				case report.Warn:
					if len(tc.Failures) != 0 || len(tc.Skipped) != 0 {
						t.Errorf("%s: a warning is a passed testcase: %+v", c.ID, tc)
					}
					for _, fd := range c.Findings {
						if fd.Severity == report.Warning && (!strings.Contains(tc.SystemOut, fd.Title) || !strings.Contains(tc.SystemOut, fd.Guide.URL())) {
							t.Errorf("%s: system-out lacks the warning %q and its guide link:\n%s", c.ID, fd.Title, tc.SystemOut)
						}
					}
				case report.Pass:
					if len(tc.Failures) != 0 || len(tc.Skipped) != 0 {
						t.Errorf("%s: passed testcase with failure or skip: %+v", c.ID, tc)
					}
				}
				for _, e := range c.Evidence {
					if !strings.Contains(tc.SystemOut, e.Value) {
						t.Errorf("%s: system-out lacks evidence %s=%q", c.ID, e.Key, e.Value)
					}
				}
			}
			if atoi(t, "failures", s.Failures) != failures || atoi(t, "root failures", doc.Failures) != failures {
				t.Errorf("failures=%s, counted %d", s.Failures, failures)
			}
			if atoi(t, "skipped", s.Skipped) != skipped {
				t.Errorf("skipped=%s, counted %d", s.Skipped, skipped)
			}
			if atoi(t, "errors", s.Errors) != 0 {
				t.Errorf("errors=%s", s.Errors)
			}
			props := map[string]string{}
			for _, p := range s.Properties {
				props[p.Name] = p.Value
			}
			if props["exit_code"] != strconv.Itoa(r.ExitCode) || props["gateway"] != r.Target.Gateway {
				t.Errorf("properties %v lack the exit code %d and the gateway", props, r.ExitCode)
			}
		})
	}
}

// A report read back from its JSON has milliseconds only; JUnit times must
// still be right.
func TestJUnitFromJSON(t *testing.T) {
	var back report.Report
	if err := jsonRoundTrip(brokenReport(), &back); err != nil {
		t.Fatal(err)
	}
	var doc xSuites
	if err := xml.Unmarshal(render(t, "junit", &back), &doc); err != nil {
		t.Fatal(err)
	}
	if got := doc.Suites[0].Cases[5].Time; got != "0.211" {
		t.Errorf("obo time from JSON = %s, want 0.211", got)
	}
	if doc.Time != "2.345" {
		t.Errorf("run time from JSON = %s, want 2.345", doc.Time)
	}
}

func jsonRoundTrip(r *report.Report, into *report.Report) error {
	var buf bytes.Buffer
	if err := report.RenderJSON(&buf, r, report.Options{}); err != nil {
		return err
	}
	return json.Unmarshal(buf.Bytes(), into)
}
