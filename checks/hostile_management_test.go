package checks

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/c7doctor/c7doctor/azure"
	"github.com/c7doctor/c7doctor/lab"
	"github.com/c7doctor/c7doctor/lab/labtest"
	"github.com/c7doctor/c7doctor/report"
	"github.com/c7doctor/c7doctor/wire"
	"github.com/c7doctor/c7doctor/wire/wiretest"
)

// The hostile management plane: Azure Resource Manager (or what answers in
// its place) misbehaving on one read each, in front of the healthy lab's
// instance. Every case runs the configuration checks end to end and
// asserts that the run does not panic, ends within its deadline, that a
// read that went wrong is said (a skip or an info finding naming what came
// back, never a warning or failure about the setup), that the checks whose
// reads were healthy still judge them, and that no token leaves ARM's origin.

// armProxy forwards to the lab's ARM, except for the requests a case answers
// itself; lab URLs in the answers are rewritten to the proxy's.
type armProxy struct {
	lab, self string
	client    *http.Client
	evil      string
	mu        sync.Mutex
	evilAuth  []string
}

// armAnswer answers a request a case takes over; it returns false to let
// the lab answer.
type armAnswer func(p *armProxy, w http.ResponseWriter, r *http.Request) bool

// fromLab is the lab's own answer to r, lab URLs rewritten.
func (p *armProxy) fromLab(r *http.Request) (int, http.Header, []byte) {
	req, _ := http.NewRequestWithContext(r.Context(), r.Method, p.lab+r.URL.RequestURI(), r.Body)
	req.Header = r.Header.Clone()
	resp, err := p.client.Do(req)
	if err != nil {
		return http.StatusBadGateway, http.Header{}, []byte(err.Error())
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return resp.StatusCode, resp.Header, bytes.ReplaceAll(body, []byte(p.lab), []byte(p.self))
}

func (p *armProxy) forward(w http.ResponseWriter, r *http.Request) {
	status, h, body := p.fromLab(r)
	w.Header().Set("Content-Type", h.Get("Content-Type"))
	w.WriteHeader(status)
	w.Write(body)
}

// at answers requests whose path ends with suffix (under the instance) with f.
func at(suffix string, f func(p *armProxy, w http.ResponseWriter, r *http.Request)) armAnswer {
	return func(p *armProxy, w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasSuffix(r.URL.Path, "/Microsoft.ApiManagement/service/apim-context7-lab"+suffix) {
			return false
		}
		f(p, w, r)
		return true
	}
}

func armStatus(code int, contentType, body string, headers ...string) func(*armProxy, http.ResponseWriter, *http.Request) {
	return func(_ *armProxy, w http.ResponseWriter, r *http.Request) {
		answerWith(code, contentType, body, headers...).ServeHTTP(w, r)
	}
}

// armPolicyValue answers with the lab's own policy document, changed by edit.
func armPolicyValue(edit func(string) string) func(*armProxy, http.ResponseWriter, *http.Request) {
	return func(p *armProxy, w http.ResponseWriter, r *http.Request) {
		status, _, body := p.fromLab(r)
		var doc map[string]any
		if status != http.StatusOK || json.Unmarshal(body, &doc) != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		props, _ := doc["properties"].(map[string]any)
		v, _ := props["value"].(string)
		props["value"] = edit(v)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(doc)
	}
}

type hostileARMCase struct {
	name   string
	answer armAnswer
	// want: a check's status and the words its summary and findings say.
	// A check this version does not have (the policy check) is not asked.
	want map[string]hostileWant
	// healthy lists checks that must still pass.
	healthy []string
}

var hostileARMPage = `<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>`

func TestHostileManagementPlane(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the lab once per case")
	}
	huge := func(_ *armProxy, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"value":[`)
		chunk := []byte(strings.Repeat(" ", 64<<10))
		for range 12 << 4 { // 12 MiB, past every limit
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		io.WriteString(w, `]}`)
	}
	loop := func(p *armProxy, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"value": []any{}, "nextLink": p.self + r.URL.RequestURI()})
	}
	away := func(p *armProxy, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"value": []any{}, "nextLink": p.evil + r.URL.RequestURI()})
	}
	readFailed := func(words ...string) hostileWant { return hostileWant{report.Skip, words} }
	cases := []hostileARMCase{
		{name: "the instance answers an HTML 502", answer: at("", armStatus(502, "text/html", hostileARMPage)),
			want: map[string]hostileWant{"apim-service": readFailed("HTTP 502", "HTML"), "apim-diagnostics": readFailed()}},
		{name: "the instance answers 200 with an empty body", answer: at("", armStatus(200, "application/json", "")),
			want: map[string]hostileWant{"apim-service": readFailed("empty body")}},
		{name: "the diagnostics answer an HTML 502", answer: at("/diagnostics", armStatus(502, "text/html", hostileARMPage)),
			want:    map[string]hostileWant{"apim-diagnostics": readFailed("diagnostics", "HTTP 502", "HTML")},
			healthy: []string{"apim-service", "apim-apis", "apim-named-values"}},
		{name: "the diagnostics answer 200 with an empty body", answer: at("/diagnostics", armStatus(200, "application/json", "")),
			want:    map[string]hostileWant{"apim-diagnostics": readFailed("empty body")},
			healthy: []string{"apim-named-values"}},
		{name: "the named values answer 429 with a long Retry-After", answer: at("/namedValues", armStatus(429, "application/json", `{"error":{"code":"TooManyRequests","message":"Too many requests, retry later."}}`, "Retry-After", "300")),
			want:    map[string]hostileWant{"apim-named-values": readFailed("named values", "HTTP 429", "TooManyRequests")},
			healthy: []string{"apim-apis", "apim-diagnostics"}},
		{name: "the APIs list is huge", answer: at("/apis", huge),
			want: map[string]hostileWant{"apim-apis": readFailed("APIs", "larger than"),
				"apim-diagnostics": {report.Pass, []string{"the MCP API's own diagnostics", "larger than"}}},
			healthy: []string{"apim-named-values"}},
		{name: "the named values' nextLink loops", answer: at("/namedValues", loop),
			want:    map[string]hostileWant{"apim-named-values": readFailed("named values", "loop")},
			healthy: []string{"apim-apis", "apim-diagnostics"}},
		{name: "the named values' nextLink points at another host", answer: at("/namedValues", away),
			want:    map[string]hostileWant{"apim-named-values": readFailed("named values")},
			healthy: []string{"apim-apis", "apim-diagnostics"}},
		{name: "the MCP API's policy is not XML", answer: at("/apis/context7-mcp/policies/policy", armPolicyValue(func(v string) string {
			return v[:len(v)/2] + "<unclosed attr=\"x></policies"
		})),
			want:    map[string]hostileWant{"apim-policies": {report.Fail, []string{"XML"}}},
			healthy: []string{"apim-apis", "apim-named-values", "apim-diagnostics"}},
		{name: "the MCP API's policy starts with a byte-order mark", answer: at("/apis/context7-mcp/policies/policy", armPolicyValue(func(v string) string { return "\ufeff" + v })),
			want:    map[string]hostileWant{"apim-policies": {report.Pass, nil}},
			healthy: []string{"apim-apis", "apim-named-values", "apim-diagnostics"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runHostileARM(t, tc)
		})
	}
}

func runHostileARM(t *testing.T, tc hostileARMCase) {
	w := labtest.Start(t, lab.Options{})
	ca := wiretest.NewCA(t)
	pool := w.CertPool.Clone()
	pool.AddCert(ca.Cert)
	labClient := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: w.CertPool}}, Timeout: 10 * time.Second}
	p := &armProxy{lab: w.ARMEndpoint, client: labClient}
	evil := wiretest.Server(t, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.evilAuth = append(p.evilAuth, r.Header.Get("Authorization"))
		p.mu.Unlock()
		rw.Header().Set("Content-Type", "application/json")
		io.WriteString(rw, `{"value":[]}`)
	}), ca.Leaf(t, []string{"evil.test"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour)))
	p.evil = "https://evil.test:" + hostilePort(evil.URL)
	srv := wiretest.Server(t, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if tc.answer == nil || !tc.answer(p, rw, r) {
			p.forward(rw, r)
		}
	}), ca.Valid(t))
	p.self = srv.URL

	cfg := labConfig(t, labtest.Settings(t, w))
	cfg.Timeout, cfg.Deadline = 2*time.Second, 30*time.Second
	red := wire.NewRedactor()
	red.Secret(cfg.GatewaySecret, w.ReaderSecret)
	client, err := wire.New(wire.Options{Timeout: cfg.Timeout, RootCAs: pool, Redactor: red, Resolver: hostileResolver, GatewayOrigin: cfg.Gateway, AuthOrigins: []string{p.self}})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	o := azure.Options{Transport: client.HTTPClient(), TryTimeout: cfg.Timeout, Cloud: azure.Cloud{
		AuthorityHost: w.AuthorityHost, ARMEndpoint: p.self, ARMAudience: azure.Clouds[0].ARMAudience,
	}}
	cred, err := azure.SecretCredential(w.TenantID, w.ReaderAppID, w.ReaderSecret, o)
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{Config: cfg, HTTP: client, State: &State{}, Now: time.Now, ARM: azure.NewReader(cred, o), Target: &report.Target{}, Stderr: io.Discard}
	var only []string
	for _, c := range All {
		if strings.HasPrefix(c.ID, "apim-") {
			only = append(only, c.ID)
		}
	}
	done := make(chan *report.Report, 1)
	go func() { done <- Run(context.Background(), env, All, Selection{Only: only}) }()
	var rep *report.Report
	select {
	case rep = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("the run did not end") // not a speed assertion: a run that never returns is the bug
	}

	for _, c := range rep.Checks {
		for _, f := range c.Findings {
			switch {
			case f.ID == "check-panicked":
				t.Errorf("%s panicked: %s", c.ID, f.Detail)
			case f.ID == "deadline" || f.ID == "check-timeout":
				t.Errorf("%s ran out of its time instead of naming the problem: %s", c.ID, f.Detail)
			case strings.HasPrefix(f.ID, "arm-") && f.Severity != report.Info:
				t.Errorf("%s: %s is a %s: a management plane that does not answer is no verdict on the setup", c.ID, f.ID, f.Severity)
			}
		}
	}
	for id, want := range tc.want {
		if !slices.Contains(only, id) {
			t.Logf("%s is not a check of this version: not asked", id)
			continue
		}
		c := check(t, rep, id)
		if c.Status != want.status {
			t.Errorf("%s is %s (%s) %v, want %s\n%s", id, c.Status, c.Summary, findingIDs(rep, id), want.status, describeReport(rep))
		}
		text := c.Summary
		for _, f := range c.Findings {
			text += " " + f.Detail
		}
		for _, word := range want.words {
			if !strings.Contains(strings.ToLower(text), strings.ToLower(word)) {
				t.Errorf("%s does not say %q: %s", id, word, text)
			}
		}
	}
	for _, id := range tc.healthy {
		if c := check(t, rep, id); c.Status != report.Pass {
			t.Errorf("%s's reads were healthy, yet it is %s (%s) %v", id, c.Status, c.Summary, findingIDs(rep, id))
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, a := range p.evilAuth {
		if a != "" {
			t.Errorf("another host received Authorization %q", a)
		}
	}
}
