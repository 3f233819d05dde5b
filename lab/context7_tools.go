package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// The two tools of @upstash/context7-mcp 4.1.1, with its titles,
// descriptions, input schemas and annotations as its tools/list sends them.
func (c *context7) addTools() {
	readOnly, destructive, openWorld, idempotent := true, false, true, true
	annotations := mcp.ToolAnnotation{ReadOnlyHint: &readOnly, DestructiveHint: &destructive, OpenWorldHint: &openWorld, IdempotentHint: &idempotent}

	resolve := mcp.NewToolWithRawSchema("resolve-library-id", c7ResolveDescription, json.RawMessage(c7ResolveSchema))
	resolve.Title = "Resolve Context7 Library ID"
	resolve.Annotations = annotations
	query := mcp.NewToolWithRawSchema("query-docs", c7QueryDescription, json.RawMessage(c7QuerySchema))
	query.Title = "Query Documentation"
	query.Annotations = annotations

	c.mcp.AddTools(
		server.ServerTool{Tool: resolve, Handler: c.resolveLibraryID},
		server.ServerTool{Tool: query, Handler: c.queryDocs},
	)
}

func (c *context7) resolveLibraryID(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	args := c7Aliases(req.GetArguments(), map[string][]string{"query": {"userQuery", "question"}})
	if msg := c7MissingStrings("resolve-library-id", args, "query", "libraryName"); msg != "" {
		return &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent(msg)}, IsError: true}, nil
	}
	if refusal := c.apiRefusal(c7CallerFrom(ctx)); refusal != "" {
		return c7Text(refusal), nil
	}
	found := c7Search(args["libraryName"].(string))
	if len(found) == 0 {
		return c7Text("No libraries found matching the provided name."), nil
	}
	formatted := make([]string, len(found))
	for i, lib := range found {
		formatted[i] = lib.format()
	}
	return c7Text("Available Libraries:\n\n" + strings.Join(formatted, "\n----------\n")), nil
}

func (c *context7) queryDocs(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	args := c7Aliases(req.GetArguments(), map[string][]string{
		"query":     {"userQuery", "question"},
		"libraryId": {"context7CompatibleLibraryID", "libraryID", "libraryName"},
	})
	if msg := c7MissingStrings("query-docs", args, "libraryId", "query"); msg != "" {
		return &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent(msg)}, IsError: true}, nil
	}
	if refusal := c.apiRefusal(c7CallerFrom(ctx)); refusal != "" {
		return c7Text(refusal), nil
	}
	lib, ok := c7Library(args["libraryId"].(string))
	if !ok {
		return c7Text("The library you are trying to access does not exist. Please try with a different library ID."), nil
	}
	return c7Text(lib.docs), nil
}

func c7CallerFrom(ctx context.Context) c7Caller {
	caller, _ := ctx.Value(c7CallerKey{}).(c7Caller)
	return caller
}

// c7Text is an ordinary result: one text block, no isError, which is how
// the real server answers even when the Context7 API refused the call.
func c7Text(text string) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent(text)}}
}

// c7Aliases renames argument names models often invent to the canonical ones,
// as the real server's schema preprocessing does.
func c7Aliases(args map[string]any, aliases map[string][]string) map[string]any {
	out := make(map[string]any, len(args))
	for k, v := range args {
		out[k] = v
	}
	for canonical, alternatives := range aliases {
		if _, ok := out[canonical]; ok {
			continue
		}
		for _, alt := range alternatives {
			if v, ok := out[alt]; ok {
				out[canonical] = v
				delete(out, alt)
				break
			}
		}
	}
	return out
}

// c7MissingStrings words a failed schema validation the way zod does through
// the real server's SDK; "" when every field is a string.
func c7MissingStrings(tool string, args map[string]any, fields ...string) string {
	var problems []string
	for _, f := range fields {
		switch v := args[f].(type) {
		case string:
		case nil:
			problems = append(problems, f+": Invalid input: expected string, received undefined")
		default:
			problems = append(problems, fmt.Sprintf("%s: Invalid input: expected string, received %s", f, c7TypeName(v)))
		}
	}
	if len(problems) == 0 {
		return ""
	}
	return fmt.Sprintf("Input validation error: Invalid arguments for tool %s: %s", tool, strings.Join(problems, ", "))
}

func c7TypeName(v any) string {
	switch v.(type) {
	case float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

const c7ResolveDescription = `Resolves a package/product name to a Context7-compatible library ID and returns matching libraries.

You MUST call this function before 'Query Documentation' tool to obtain a valid Context7-compatible library ID UNLESS the user explicitly provides a library ID in the format '/org/project' or '/org/project/version' in their query.

Each result includes:
- Library ID: Context7-compatible identifier (format: /org/project)
- Name: Library or package name
- Description: Short summary
- Code Snippets: Number of available code examples
- Source Reputation: Authority indicator (High, Medium, Low, or Unknown)
- Benchmark Score: Quality indicator (100 is the highest score)
- Versions: List of versions if available. Use one of those versions if the user provides a version in their query. The format of the version is /org/project/version.

For best results, select libraries based on name match, source reputation, snippet coverage, benchmark score, and relevance to your use case.

Selection Process:
1. Analyze the query to understand what library/package the user is looking for
2. Return the most relevant match based on:
- Name similarity to the query (exact matches prioritized)
- Description relevance to the query's intent
- Documentation coverage (prioritize libraries with higher Code Snippet counts)
- Source reputation (consider libraries with High or Medium reputation more authoritative)
- Benchmark Score: Quality indicator (100 is the highest score)

Response Format:
- Return the selected library ID in a clearly marked section
- Provide a brief explanation for why this library was chosen
- If multiple good matches exist, acknowledge this but proceed with the most relevant one
- If no good matches exist, clearly state this and suggest query refinements

For ambiguous queries, request clarification before proceeding with a best-guess match.

IMPORTANT: Do not call this tool more than 3 times per question. If you cannot find what you need after 3 calls, use the best result you have.`

const c7QueryDescription = `Retrieves and queries up-to-date documentation and code examples from Context7 for any programming library or framework.

You must call 'Resolve Context7 Library ID' tool first to obtain the exact Context7-compatible library ID required to use this tool, UNLESS the user explicitly provides a library ID in the format '/org/project' or '/org/project/version' in their query.

Do not call this tool more than 3 times per question.`

const c7ResolveSchema = `{"type":"object","$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"query":{"type":"string","description":"What to look up in the library's documentation. This is used to rank library results by relevance to what the user is trying to accomplish. The query is sent to the Context7 API for processing. Do not include any sensitive or confidential information such as API keys, passwords, credentials, personal data, or proprietary code in your query."},"libraryName":{"type":"string","description":"Library name to search for and retrieve a Context7-compatible library ID. Use the official library name with proper punctuation — e.g., 'Next.js' instead of 'nextjs', 'Customer.io' instead of 'customerio', 'Three.js' instead of 'threejs'."}},"required":["query","libraryName"]}`

const c7QuerySchema = `{"type":"object","$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"libraryId":{"type":"string","description":"Exact Context7-compatible library ID (e.g., '/mongodb/docs', '/vercel/next.js', '/supabase/supabase', '/vercel/next.js/v14.3.0-canary.87') retrieved from 'resolve-library-id' or directly from user query in the format '/org/project' or '/org/project/version'."},"query":{"type":"string","description":"What to look up in the library's documentation, scoped to a single concept. Be specific and include relevant details, but keep each query to one topic — if the user's question spans multiple distinct concepts, make a separate call per concept instead of combining them, unless the question is about how the concepts interact. Good: 'How to set up authentication with JWT in Express.js' or 'React useEffect cleanup function examples'. Bad (too vague): 'auth' or 'hooks'. Bad (too broad): 'routing and auth and caching in Next.js'. The query is sent to the Context7 API for processing. Do not include any sensitive or confidential information such as API keys, passwords, credentials, personal data, or proprietary code in your query."}},"required":["libraryId","query"]}`
