package checks

import "context"

// OBOState is what the OBO checks learn.
type OBOState struct{}

var oboEntries = []Entry{}

func runOBO(ctx context.Context, env *Env, r *Result)       { r.Skip("not built yet") }
func runOBOClaims(ctx context.Context, env *Env, r *Result) { r.Skip("not built yet") }
func runUpstream(ctx context.Context, env *Env, r *Result)  { r.Skip("not built yet") }
