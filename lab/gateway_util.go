package lab

import (
	"crypto/rsa"
	"net/http"
	"time"
)

// gwStatusRecorder remembers the status for the request log. Unwrap lets
// http.ResponseController (and so the streaming proxy) reach the real
// writer's Flush.
type gwStatusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *gwStatusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *gwStatusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// waitBeforeAnswer waits d before any byte of the answer. It gives up as
// soon as the client does (or the server shuts down and closes the conn),
// records 499 and reports false: there is nothing left to answer.
func (s *gwStatusRecorder) waitBeforeAnswer(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		s.status = 499
		return false
	}
}

// gwPublishedKeys are the keys the tenant publishes in its JWKS, by kid:
// what APIM and Context7 fetch to check a signature.
func gwPublishedKeys(w *World) map[string]*rsa.PublicKey {
	keys := map[string]*rsa.PublicKey{w.keyID: &w.signKey.PublicKey}
	if w.tenant != nil {
		for _, k := range []*signingKey{w.tenant.key, w.tenant.spare} {
			if k != nil {
				keys[k.kid] = &k.priv.PublicKey
			}
		}
	}
	return keys
}
