package report

import (
	"fmt"
	"io"
	"testing"
	"time"
)

// benchReport is the size of a real full run: thirteen checks with the
// evidence a lab run records, and (when failing) the findings a broken OBO
// leaves behind — fixes, az commands, guide sections, AADSTS ids.
func benchReport(failing bool) *Report {
	ids := []string{"challenge", "prm", "as-metadata", "authorize-redirect", "token-proxy", "tenant-keys",
		"gateway-token", "gateway-claims", "obo", "obo-claims", "mcp-initialize", "mcp-tools", "upstream"}
	r := &Report{
		Tool: Tool{Name: "c7doctor", Version: "v1.0.0"},
		Target: Target{
			Gateway: "https://apim-contoso.azure-api.net", MCPEndpoint: "https://apim-contoso.azure-api.net/context7/mcp",
			Tenant: "7a1c5e2f-4b3d-4e8a-9c6f-2d1b0a9e8f70", GatewayAppID: "3f2b9c41-8d6e-4a7b-b5c2-9e1f0d4a6c83",
			MCPAPIAppID: "b8e4d2a6-1c7f-4e3b-9a5d-6f0c2e8b4d19", Inferred: []string{"tenant"},
		},
		StartedAt: time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC),
		Duration:  812 * time.Millisecond,
	}
	for i, id := range ids {
		c := Check{
			ID: id, Title: "Check " + id, Status: Pass, Duration: time.Duration(i+1) * 7 * time.Millisecond,
			Summary: "everything " + id + " needs is in place",
			Evidence: Evidence{
				{"url", "https://apim-contoso.azure-api.net/context7/mcp"},
				{"status", "200"},
				{"content_type", "text/event-stream"},
				{"token", "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsImtpZCI6ImxhYiJ9.eyJhdWQiOiIzZjJiOWM0MSJ9"},
			},
		}
		if failing && i >= 8 {
			c.Status = Fail
			c.Summary = "Entra refused the exchange: AADSTS65001"
			c.Findings = []Finding{{
				ID: "obo-consent", Severity: Error, Title: "The Gateway app may not call the MCP API for the user",
				Detail: "AADSTS65001: The user or administrator has not consented to use the application with ID " +
					"'3f2b9c41-8d6e-4a7b-b5c2-9e1f0d4a6c83' named 'Context7 APIM Gateway'. Send an interactive authorization request for this user and resource.",
				Fix: []string{
					"In the APIM Gateway app, API permissions must list Context7 MCP API → mcp.access (Delegated), granted for the tenant.",
					"Grant admin consent.",
				},
				Commands: []string{
					"az ad app permission add --id 3f2b9c41-8d6e-4a7b-b5c2-9e1f0d4a6c83 --api b8e4d2a6-1c7f-4e3b-9a5d-6f0c2e8b4d19 --api-permissions <scope-id>=Scope",
					"az ad app permission admin-consent --id 3f2b9c41-8d6e-4a7b-b5c2-9e1f0d4a6c83",
				},
				Guide:         &Guide{Section: "OBO exchange returns AADSTS50013 or AADSTS65001", Anchor: "obo-exchange-returns-aadsts50013-or-aadsts65001"},
				AADSTS:        []int{65001},
				CorrelationID: "1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a1b",
				TraceID:       "9a8b7c6d-5e4f-4321-8765-0fedcba98765",
			}}
		}
		r.Checks = append(r.Checks, c)
	}
	r.Finalize(nil, false)
	return r
}

// BenchmarkRender renders a full report in every registered format, healthy
// and failing; text also with colour (the only format that has any).
func BenchmarkRender(b *testing.B) {
	for _, format := range Formats() {
		colours := []bool{false}
		if format == "text" {
			colours = append(colours, true)
		}
		for _, failing := range []bool{false, true} {
			for _, colour := range colours {
				name := fmt.Sprintf("%s/failing=%t/color=%t", format, failing, colour)
				b.Run(name, func(b *testing.B) {
					r := benchReport(failing)
					opts := Options{Color: colour}
					cw := &countingWriter{}
					if err := Render(format, cw, r, opts); err != nil {
						b.Fatal(err)
					}
					b.SetBytes(cw.n)
					b.ReportAllocs()
					b.ResetTimer()
					for b.Loop() {
						if err := Render(format, io.Discard, r, opts); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

// countingWriter measures one rendering, so that b.SetBytes gives MB/s.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}
