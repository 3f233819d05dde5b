package wire_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/c7doctor/c7doctor/wire"
	"github.com/c7doctor/c7doctor/wire/wiretest"
)

// traffic runs a few exchanges that carry every kind of secret and returns
// the client that recorded them, with the secrets that must not show.
func traffic(t *testing.T) (*wire.Client, []string) {
	t.Helper()
	ca := wiretest.NewCA(t)
	tok := jwt(`{"aud":"api://gw","name":"Ada Lab","oid":"`+adaOID+`"}`, sig)
	srv := wiretest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/token":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"token_type":"Bearer","access_token":"`+tok+`","refresh_token":"0.AXoA-refresh-secret-value","expires_in":3599}`)
		case "/mcp":
			w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="https://gw.example/.well-known/oauth-protected-resource/context7/mcp"`)
			w.Header().Set("Set-Cookie", "ARRAffinity=cookie-secret-value; Path=/")
			w.WriteHeader(http.StatusUnauthorized)
		case "/authorize":
			http.Redirect(w, r, "https://login.example/tenant/oauth2/v2.0/authorize?"+r.URL.RawQuery, http.StatusFound)
		}
	}), ca.Valid(t))
	c := newClient(t, wire.Options{RootCAs: ca.Pool, GatewayOrigin: srv.URL,
		GatewayHeaders: http.Header{"Ocp-Apim-Subscription-Key": {"subscription-key-secret"}}})
	c.Redactor().Secret("subscription-key-secret", "lab~client-secret-value")
	ctx := context.Background()
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "client_secret": {"lab~client-secret-value"}, "assertion": {tok}}
	if _, err := c.PostForm(ctx, srv.URL+"/token", form, 0); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", srv.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	if _, err := c.Do(ctx, req, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, srv.URL+"/authorize?client_id=x&code=0.AUoA-auth-code-secret&state=s", "", 0); err != nil {
		t.Fatal(err)
	}
	c.Get(ctx, "https://"+wiretest.Refused(t)+"/", "", 0)
	return c, []string{sig, "0.AXoA-refresh-secret-value", "cookie-secret-value", "subscription-key-secret", "lab~client-secret-value", "0.AUoA-auth-code-secret"}
}

func TestHARIsValidAndRedacted(t *testing.T) {
	c, secrets := traffic(t)
	var buf bytes.Buffer
	if err := wire.WriteHAR(&buf, c.Recorder().Exchanges(), c.Redactor(), "1.2.3"); err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if bytes.Contains(buf.Bytes(), []byte(s)) {
			t.Errorf("the trace holds %q", s)
		}
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	validateHAR(t, doc)
	entries := doc["log"].(map[string]any)["entries"].([]any)
	if len(entries) != 4 {
		t.Fatalf("%d entries, want 4", len(entries))
	}
	post := entries[0].(map[string]any)["request"].(map[string]any)["postData"].(map[string]any)
	if !strings.Contains(post["text"].(string), "client_secret=%5Bredacted%5D") && !strings.Contains(post["text"].(string), "client_secret=[redacted]") {
		t.Errorf("post data %q", post["text"])
	}
	resp := entries[1].(map[string]any)["response"].(map[string]any)
	if resp["status"].(float64) != 401 || resp["statusText"] != "Unauthorized" {
		t.Errorf("response %v", resp)
	}
	if redirect := entries[2].(map[string]any)["response"].(map[string]any)["redirectURL"].(string); !strings.HasPrefix(redirect, "https://login.example/") {
		t.Errorf("redirectURL %q", redirect)
	}
	failed := entries[3].(map[string]any)
	if failed["response"].(map[string]any)["status"].(float64) != 0 || !strings.Contains(failed["_error"].(string), "refused") {
		t.Errorf("failed entry %v", failed)
	}
}

// validateHAR checks the fields HAR 1.2 requires, with their types.
func validateHAR(t *testing.T, doc map[string]any) {
	t.Helper()
	log, ok := doc["log"].(map[string]any)
	if !ok {
		t.Fatal("no log object")
	}
	if log["version"] != "1.2" {
		t.Errorf("version %v", log["version"])
	}
	creator, _ := log["creator"].(map[string]any)
	requireFields(t, "creator", creator, map[string]string{"name": "string", "version": "string"})
	entries, ok := log["entries"].([]any)
	if !ok {
		t.Fatal("entries is not an array")
	}
	for i, e := range entries {
		entry := e.(map[string]any)
		requireFields(t, "entry", entry, map[string]string{"startedDateTime": "string", "time": "number",
			"request": "object", "response": "object", "cache": "object", "timings": "object"})
		if _, err := time.Parse(time.RFC3339Nano, entry["startedDateTime"].(string)); err != nil {
			t.Errorf("entry %d startedDateTime: %v", i, err)
		}
		requireFields(t, "request", entry["request"].(map[string]any), map[string]string{"method": "string", "url": "string",
			"httpVersion": "string", "cookies": "array", "headers": "array", "queryString": "array", "headersSize": "number", "bodySize": "number"})
		resp := entry["response"].(map[string]any)
		requireFields(t, "response", resp, map[string]string{"status": "number", "statusText": "string", "httpVersion": "string",
			"cookies": "array", "headers": "array", "content": "object", "redirectURL": "string", "headersSize": "number", "bodySize": "number"})
		requireFields(t, "content", resp["content"].(map[string]any), map[string]string{"size": "number", "mimeType": "string"})
		timings := entry["timings"].(map[string]any)
		requireFields(t, "timings", timings, map[string]string{"send": "number", "wait": "number", "receive": "number"})
		sum := 0.0
		for _, k := range []string{"blocked", "dns", "connect", "send", "wait", "receive"} {
			if v, ok := timings[k].(float64); ok && v >= 0 {
				sum += v
			} else if ok && v != -1 {
				t.Errorf("timings.%s = %v", k, v)
			}
		}
		if d := sum - entry["time"].(float64); d > 0.01 || d < -0.01 {
			t.Errorf("entry %d time %v is not the sum of its timings %v", i, entry["time"], sum)
		}
		for _, h := range append(entry["request"].(map[string]any)["headers"].([]any), resp["headers"].([]any)...) {
			requireFields(t, "header", h.(map[string]any), map[string]string{"name": "string", "value": "string"})
		}
	}
}

func requireFields(t *testing.T, what string, obj map[string]any, fields map[string]string) {
	t.Helper()
	if obj == nil {
		t.Fatalf("%s missing", what)
	}
	for name, typ := range fields {
		v, ok := obj[name]
		if !ok {
			t.Errorf("%s.%s missing", what, name)
			continue
		}
		var got string
		switch v.(type) {
		case string:
			got = "string"
		case float64:
			got = "number"
		case map[string]any:
			got = "object"
		case []any:
			got = "array"
		}
		if got != typ {
			t.Errorf("%s.%s is %s, want %s", what, name, got, typ)
		}
	}
}

func TestPrinter(t *testing.T) {
	c, secrets := traffic(t)
	var buf bytes.Buffer
	p := wire.NewPrinter(&buf, c.Redactor())
	for _, e := range c.Recorder().Exchanges() {
		p.Print(e)
	}
	out := buf.String()
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("-v printed %q", s)
		}
	}
	for _, want := range []string{
		"→ POST https://127.0.0.1:", "/token\n",
		"← 401 Unauthorized  HTTP/1.1",
		`Www-Authenticate: Bearer resource_metadata="https://gw.example/`,
		"│ {\"jsonrpc\":\"2.0\"",
		"Location: https://login.example/",
		"← error: ",
		"Authorization: Bearer eyJ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("-v output lacks %q:\n%s", want, out)
		}
	}
}

func TestPrinterNeutralisesTerminalEscapes(t *testing.T) {
	var buf bytes.Buffer
	p := wire.NewPrinter(&buf, wire.NewRedactor())
	p.Print(wire.Exchange{Method: "GET", URL: "https://gw/\x1b]0;pwned\x07", Status: 200, StatusText: "OK",
		RespHeader: http.Header{"Content-Type": {"text/html\x1b[2J"}}, RespBody: "<html>\x1b[31mred\r\n</html>"})
	if strings.ContainsAny(buf.String(), "\x1b\x07\r") {
		t.Fatalf("control characters reached the terminal: %q", buf.String())
	}
}

func TestRecorderListsOpenStreams(t *testing.T) {
	ca := wiretest.NewCA(t)
	done := release(t)
	srv := wiretest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "event: message\ndata: {}\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}), ca.Valid(t))
	c := newClient(t, wire.Options{RootCAs: ca.Pool})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	resp, err := c.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	if _, err := resp.Body.Read(buf); err != nil {
		t.Fatal(err)
	}
	ex := c.Recorder().Exchanges()
	if len(ex) != 1 || !ex[0].Open || !strings.Contains(ex[0].RespBody, "event: message") {
		t.Fatalf("open stream not listed: %+v", ex)
	}
	cancel()
	resp.Body.Close()
	ex = c.Recorder().Exchanges()
	if len(ex) != 1 || ex[0].Open {
		t.Fatalf("closed stream still open: %+v", ex)
	}
}
