package wire_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/c7doctor/c7doctor/wire"
	"github.com/c7doctor/c7doctor/wire/wiretest"
)

// An origin that timed out on an answer of its own, refused the connection
// or failed TLS is not asked again: the next request fails at once, names
// the first failure and who met it, and is counted against its sender.
func TestDeadOriginsFailFast(t *testing.T) {
	ca := wiretest.NewCA(t)
	var hits atomic.Int32
	hang := wiretest.Hang(release(t))
	srv := wiretest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		hang(w, r)
	}), ca.Valid(t))
	c := newClient(t, wire.Options{Timeout: 150 * time.Millisecond, RootCAs: ca.Pool})
	first := wire.WithOwner(context.Background(), "challenge")
	if _, err := c.Get(first, srv.URL+"/a", "", 0); kindOf(t, err) != wire.KindTimeout {
		t.Fatalf("first: %v", err)
	}
	d, dead := c.Dead(srv.URL + "/anything")
	if !dead || d.Owner != "challenge" || d.Kind != wire.KindTimeout {
		t.Fatalf("dead %v %+v", dead, d)
	}
	later := wire.WithOwner(context.Background(), "prm")
	_, err := c.Get(later, srv.URL+"/b", "", 0)
	if kindOf(t, err) != wire.KindDeadOrigin || !errors.Is(err, wire.ErrOriginDead) {
		t.Fatalf("later: %v", err)
	}
	if !strings.Contains(err.Error(), "did not answer earlier") {
		t.Errorf("message %q", err)
	}
	if hits.Load() != 1 {
		t.Errorf("the dead origin was asked %d times", hits.Load())
	}
	if h := c.DeadHits("prm"); len(h) != 1 || h[0].Owner != "challenge" {
		t.Errorf("hits of prm %+v", h)
	}
	if h := c.DeadHits("challenge"); len(h) != 0 {
		t.Errorf("the owner's own hits %+v", h)
	}

	refused := "https://" + wiretest.Refused(t)
	_, _ = c.Get(first, refused+"/x", "", 0)
	if d, dead := c.Dead(refused); !dead || d.Kind != wire.KindRefused {
		t.Errorf("refused origin: %v %+v", dead, d)
	}
	wrong := wiretest.Server(t, http.NotFoundHandler(), ca.WrongHost(t))
	_, _ = c.Get(first, wrong.URL, "", 0)
	if d, dead := c.Dead(wrong.URL); !dead || d.Kind != wire.KindTLS {
		t.Errorf("TLS origin: %v %+v", dead, d)
	}
}

// A timeout on an answer that waits behind the origin (APIM's /token on
// Entra, MCP on Context7) says nothing about the origin itself.
func TestTimeoutBehindTheOriginKeepsItAlive(t *testing.T) {
	ca := wiretest.NewCA(t)
	srv := wiretest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(time.Second):
		}
	}), ca.Valid(t))
	c := newClient(t, wire.Options{Timeout: 100 * time.Millisecond, RootCAs: ca.Pool})
	defer c.Close()
	_, err := c.PostForm(wire.WaitsBehind(context.Background()), srv.URL+"/token", url.Values{"code": {"x"}}, 0)
	if kindOf(t, err) != wire.KindTimeout {
		t.Fatal(err)
	}
	if _, dead := c.Dead(srv.URL); dead {
		t.Error("a timeout behind the origin made it dead")
	}
	// Cancelling (Ctrl-C) is not the origin's fault either.
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, _ = c.Get(ctx, srv.URL, "", 0)
	if _, dead := c.Dead(srv.URL); dead {
		t.Error("a cancelled request made the origin dead")
	}
}

// One retry for a transient answer, only where sending twice is harmless,
// after Retry-After when it fits before the deadline; the retry is recorded.
func TestTransientAnswersAreRetriedOnce(t *testing.T) {
	ca := wiretest.NewCA(t)
	var n atomic.Int32
	srv := wiretest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/always") || n.Add(1) == 1 {
			w.Header().Set("Retry-After", r.URL.Query().Get("after"))
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}), ca.Valid(t))
	c := newClient(t, wire.Options{Timeout: 2 * time.Second, RootCAs: ca.Pool})
	ctx := wire.WithOwner(context.Background(), "prm")

	resp, err := c.Get(ctx, srv.URL+"/once?after=1", "", 0)
	if err != nil || resp.StatusCode != 200 || n.Load() != 2 {
		t.Fatalf("GET after one 503: %v %v, %d requests", resp, err, n.Load())
	}
	r := c.Retries("prm")
	if len(r) != 1 || r[0].Status != 503 || r[0].Wait != time.Second || !strings.Contains(r[0].String(), "retried once after 1s") {
		t.Errorf("retries %+v", r)
	}

	n.Store(0)
	resp, _ = c.Get(ctx, srv.URL+"/always?after=0", "", 0)
	if resp.StatusCode != 503 || len(c.Retries("prm")) != 1 {
		t.Errorf("always 503: %d, not exactly one retry", resp.StatusCode)
	}

	n.Store(0)
	resp, _ = c.PostForm(ctx, srv.URL+"/once", url.Values{"code": {"real"}}, 0)
	if resp.StatusCode != 503 || n.Load() != 1 || len(c.Retries("prm")) != 0 {
		t.Errorf("a real POST was retried: %d, %d requests", resp.StatusCode, n.Load())
	}

	n.Store(0)
	resp, _ = c.PostForm(wire.MadeUpInput(ctx), srv.URL+"/once?after=0", url.Values{"code": {"made-up"}}, 0)
	if resp.StatusCode != 200 || n.Load() != 2 {
		t.Errorf("a made-up probe was not retried: %d, %d requests", resp.StatusCode, n.Load())
	}
	c.Retries("prm")

	// A Retry-After past the deadline is not waited for.
	n.Store(0)
	short, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	resp, _ = c.Get(short, srv.URL+"/once?after=30", "", 0)
	if resp.StatusCode != 503 || n.Load() != 1 {
		t.Errorf("waited past the deadline: %d, %d requests", resp.StatusCode, n.Load())
	}
}
