package checks

import "context"

// MCPState is what the MCP checks learn.
type MCPState struct{}

var mcpEntries = []Entry{}

func runMCPInitialize(ctx context.Context, env *Env, r *Result) { r.Skip("not built yet") }
func runMCPTools(ctx context.Context, env *Env, r *Result)      { r.Skip("not built yet") }
