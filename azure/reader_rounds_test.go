package azure

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/apimanagement/armapimanagement/v3/fake"
)

// armDelay is what each ARM answer takes in the speed goal: with it, the
// whole read must add at most 1.2 s to a run, eight rounds.
const (
	armDelay  = 150 * time.Millisecond
	maxRounds = 8
)

// slowARM answers every request after delay and notes when each was sent.
type slowARM struct {
	next  policy.Transporter
	delay time.Duration
	start time.Time

	mu   sync.Mutex
	sent []time.Duration // since start
}

func (s *slowARM) Do(req *http.Request) (*http.Response, error) {
	s.mu.Lock()
	s.sent = append(s.sent, time.Since(s.start))
	s.mu.Unlock()
	select {
	case <-time.After(s.delay):
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	return s.next.Do(req)
}

// rounds is how many delays deep the read went: a request sent while k
// answers were awaited one after the other is in round k+1.
func (s *slowARM) rounds() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sent) == 0 {
		return 0
	}
	return int(slices.Max(s.sent)/s.delay) + 1
}

func slowReader(f fakeAPIM, delay time.Duration) (*Reader, *slowARM) {
	s := &slowARM{next: withSubscriptions{fake.NewServerFactoryTransport(f.server())}, delay: delay, start: time.Now()}
	return NewReader(&azfake.TokenCredential{}, Options{Transport: s, Cloud: Clouds[0], TryTimeout: 5 * time.Second}), s
}

// The read is a few rounds deep, whatever the number of documents: in
// the bubble's fake time every request waits its delay, so the time a
// request is sent says how many answers came before it, one after the
// other. The fake's APIs come in two pages (one round more than one page).
func TestReadRounds(t *testing.T) {
	cases := []struct {
		name   string
		target Target
		rounds int
	}{
		// service, APIs page 1, named values, global policy, diagnostics;
		// APIs page 2 (and listValue, the global policy's fragment); per API
		// its operations, policy, products, diagnostics; operation and
		// product policies (and the API policy's fragment); the fragment an
		// operation policy includes.
		{"target given", testTarget, 5},
		// + subscriptions, + APIM instances.
		{"subscription and resource group inferred", Target{Service: testTarget.Service}, 7},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r, s := slowReader(fakeAPIM{listValue: testSecret}, armDelay)
				a, err := r.ReadAPIM(context.Background(), tc.target, ReadOptions{Secrets: true, APIPaths: []string{"context7", ""}})
				if err != nil {
					t.Fatal(err)
				}
				if len(a.Policies.Docs) != 8 || len(a.Policies.Errs)+len(a.Diagnostics.Errs) != 0 || len(a.Diagnostics.Settings) != 3 || a.NamedValuesErr != nil {
					t.Fatalf("the read is not whole: %s %v %v", wheres(a.Policies.Docs), a.Policies.Errs, a.Diagnostics.Errs)
				}
				if got := s.rounds(); got != tc.rounds || got > maxRounds {
					t.Errorf("%d rounds of ARM answers, want %d (at most %d: %s each)", got, tc.rounds, maxRounds, armDelay)
				}
				t.Logf("%d requests in %d rounds", len(s.sent), s.rounds())
			})
		})
	}
}

// withSubscriptions answers ARM's list of subscriptions (not an APIM
// route, so not in the SDK's fakes) with the test target's one.
type withSubscriptions struct{ next policy.Transporter }

func (w withSubscriptions) Do(req *http.Request) (*http.Response, error) {
	if req.URL.Path == "/subscriptions" {
		return answer(http.StatusOK, `{"value":[{"subscriptionId":"`+testTarget.Subscription+`","state":"Enabled"}]}`)(req), nil
	}
	return w.next.Do(req)
}

// BenchmarkReadAPIMSlowARM is the whole read (service, APIs, operations,
// named values with secrets, policies, fragments, diagnostics) against an
// ARM whose every answer takes 150 ms: the wall time one run spends on it.
func BenchmarkReadAPIMSlowARM(b *testing.B) {
	for _, tc := range []struct {
		name   string
		target Target
	}{{"target", testTarget}, {"inferred", Target{Service: testTarget.Service}}} {
		b.Run(tc.name, func(b *testing.B) {
			var wall time.Duration
			var rounds, requests int
			for b.Loop() {
				r, s := slowReader(fakeAPIM{listValue: testSecret}, armDelay)
				start := time.Now()
				a, err := r.ReadAPIM(context.Background(), tc.target, ReadOptions{Secrets: true, APIPaths: []string{"context7", ""}})
				wall += time.Since(start)
				if err != nil || len(a.Policies.Docs) == 0 {
					b.Fatalf("%v %v", err, a.Policies.Errs)
				}
				rounds, requests = s.rounds(), len(s.sent)
			}
			b.ReportMetric(float64(wall.Milliseconds())/float64(b.N), "wall-ms/read")
			b.ReportMetric(float64(rounds), "rounds")
			b.ReportMetric(float64(requests), "requests")
		})
	}
}
