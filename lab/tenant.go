package lab

import "net/http"

// tenant is the fake Entra tenant. Owned by the tenant work; placeholder until then.
type tenant struct{ w *World }

func newTenant(w *World) *tenant { return &tenant{w: w} }

func (t *tenant) ServeHTTP(rw http.ResponseWriter, r *http.Request) { http.NotFound(rw, r) }
