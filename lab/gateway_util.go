package lab

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"strings"
	"sync"
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

// gwGUID is a random GUID in Azure's lower-case form.
func gwGUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// gwLogf writes one line to the world's request log. Lines never carry a
// token, a secret or a request body.
func gwLogf(w *World, format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	if !strings.HasSuffix(line, "\n") {
		line += "\n"
	}
	gwLogMu.Lock()
	defer gwLogMu.Unlock()
	w.opts.Log.Write([]byte(line))
}

// gwLogMu keeps lines whole when several servers log at once.
var gwLogMu sync.Mutex
