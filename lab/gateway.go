package lab

import "net/http"

// gateway is the fake APIM gateway. Placeholder until the gateway work lands.
type gateway struct{ w *World }

func newGateway(w *World) *gateway { return &gateway{w: w} }

func (g *gateway) ServeHTTP(rw http.ResponseWriter, r *http.Request) { http.NotFound(rw, r) }
