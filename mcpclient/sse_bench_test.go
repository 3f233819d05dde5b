package mcpclient

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// sseOf frames JSON-RPC payloads as the Context7 server does: one
// "event: message" per payload, data on one line.
func sseOf(payloads ...any) []byte {
	var b strings.Builder
	for _, p := range payloads {
		data, err := json.Marshal(p)
		if err != nil {
			panic(err)
		}
		b.WriteString("event: message\ndata: ")
		b.Write(data)
		b.WriteString("\n\n")
	}
	return []byte(b.String())
}

func benchInitialize() []byte {
	return sseOf(map[string]any{"jsonrpc": "2.0", "id": 1, "result": map[string]any{
		"protocolVersion": "2025-06-18",
		"capabilities":    map[string]any{"prompts": map[string]any{}, "resources": map[string]any{}, "tools": map[string]any{}},
		"serverInfo": map[string]any{"name": "Context7", "version": "4.1.1",
			"description": "Context7 provides up-to-date documentation and code examples for libraries and frameworks."},
		"instructions": strings.Repeat("Use this server to fetch current documentation whenever the user asks about a library. ", 8),
	}})
}

func benchToolsList() []byte {
	tool := func(name string, props ...string) map[string]any {
		p := map[string]any{}
		for _, n := range props {
			p[n] = map[string]any{"type": "string", "description": strings.Repeat("What to look up in the library's documentation, scoped to one concept. ", 6)}
		}
		return map[string]any{"name": name, "description": strings.Repeat("Retrieves up-to-date documentation and code examples from Context7. ", 12),
			"inputSchema": map[string]any{"type": "object", "properties": p, "required": props},
			"annotations": map[string]any{"readOnlyHint": true}}
	}
	return sseOf(map[string]any{"jsonrpc": "2.0", "id": 2, "result": map[string]any{
		"tools": []any{tool("resolve-library-id", "query", "libraryName"), tool("query-docs", "libraryId", "query")},
	}})
}

// benchDocs is a query-docs answer: tens of kilobytes in one event, preceded
// by progress notifications.
func benchDocs() []byte {
	var payloads []any
	for i := range 20 {
		payloads = append(payloads, map[string]any{"jsonrpc": "2.0", "method": "notifications/progress",
			"params": map[string]any{"progressToken": 7, "progress": i, "total": 20}})
	}
	payloads = append(payloads, map[string]any{"jsonrpc": "2.0", "id": 3, "result": map[string]any{
		"content": []any{map[string]any{"type": "text", "text": strings.Repeat("### Routing\n\n```ts\nexport default function Page() { return <main/> }\n```\n\n", 800)}},
	}})
	return sseOf(payloads...)
}

// BenchmarkParseSSE parses whole captured streams, as the checks do.
func BenchmarkParseSSE(b *testing.B) {
	for _, c := range []struct {
		name string
		body []byte
	}{{"initialize", benchInitialize()}, {"tools-list", benchToolsList()}, {"query-docs", benchDocs()}} {
		b.Run(c.name, func(b *testing.B) {
			events, cut, _ := ParseSSE(c.body, true)
			if cut || len(events) == 0 {
				b.Fatalf("%s: %d events, cut %t", c.name, len(events), cut)
			}
			b.SetBytes(int64(len(c.body)))
			b.ReportAllocs()
			for b.Loop() {
				ParseSSE(c.body, true)
			}
		})
	}
}

// BenchmarkSSEParserFeed feeds a stream in chunks the size reads arrive in,
// CRLF line ends included, as the recording transport sees it.
func BenchmarkSSEParserFeed(b *testing.B) {
	body := []byte(strings.ReplaceAll(string(benchDocs()), "\n", "\r\n"))
	for _, chunk := range []int{512, 4096, 32768} {
		b.Run(fmt.Sprintf("chunk=%d", chunk), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				var p SSEParser
				n := 0
				for off := 0; off < len(body); off += chunk {
					n += len(p.Feed(body[off:min(off+chunk, len(body))]))
				}
				if n != 21 || p.Pending() {
					b.Fatalf("got %d events, pending %t", n, p.Pending())
				}
			}
		})
	}
}
