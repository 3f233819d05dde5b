package lab

import "net/http"

// context7 is the Context7 MCP server stand-in. Placeholder until its work lands.
type context7 struct{ w *World }

func newContext7(w *World) *context7 { return &context7{w: w} }

func (c *context7) ServeHTTP(rw http.ResponseWriter, r *http.Request) { http.NotFound(rw, r) }
