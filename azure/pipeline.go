package azure

import (
	"bytes"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/c7doctor/c7doctor/wire"
)

// Options are what every Azure client of a run shares.
type Options struct {
	// Transport is the run's one HTTP client (bounded, redacted, recorded);
	// tests may pass a fake.
	Transport policy.Transporter
	// Cloud holds the endpoints; ARMEndpoint and GraphEndpoint are the
	// run's settings, which may differ from a preset (the lab's).
	Cloud Cloud
	// TryTimeout bounds each try of a request: the run's per-request timeout.
	TryTimeout time.Duration
}

// retryDelay is the pause before the one retry when no Retry-After says otherwise.
const retryDelay = 500 * time.Millisecond

// retryOptions is the project's rule: one retry, on 408, 429 and 5xx, after
// Retry-After when it leaves room for the retry before the call's deadline
// (see withinDeadline), else not at all.
func (o Options) retryOptions() policy.RetryOptions {
	return policy.RetryOptions{
		MaxRetries: 1, RetryDelay: retryDelay, MaxRetryDelay: 10 * time.Second, TryTimeout: o.TryTimeout,
		StatusCodes: []int{http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
			http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout},
	}
}

func (o Options) cloudConfig() cloud.Configuration {
	return cloud.Configuration{
		ActiveDirectoryAuthorityHost: strings.TrimRight(o.Cloud.AuthorityHost, "/") + "/",
		Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Audience: o.Cloud.ARMAudience, Endpoint: strings.TrimRight(o.Cloud.ARMEndpoint, "/")},
		},
	}
}

func (o Options) clientOptions(perRetry ...policy.Policy) azcore.ClientOptions {
	return azcore.ClientOptions{
		Cloud:            o.cloudConfig(),
		Transport:        o.Transport,
		Retry:            o.retryOptions(),
		PerCallPolicies:  []policy.Policy{withinDeadline{base: o.retryOptions()}},
		PerRetryPolicies: perRetry,
		Telemetry:        policy.TelemetryOptions{ApplicationID: "c7doctor"},
	}
}

// credentialOptions are the credentials' own pipeline options: the same
// transport and retry rule, no Authorization to restrict.
func (o Options) credentialOptions() azcore.ClientOptions { return o.clientOptions() }

// armOptions are ARM clients' options: the bearer token's Authorization is
// kept only on requests to the ARM endpoint's origin; a 200 without a body
// is an error; each try holds one of slots' places while it is in flight.
func (o Options) armOptions(slots chan struct{}) *arm.ClientOptions {
	co := o.clientOptions(audienceOrigin{origin: o.Cloud.ARMEndpoint}, inFlight{slots: slots})
	co.PerCallPolicies = append(co.PerCallPolicies, emptyAnswer{})
	return &arm.ClientOptions{
		ClientOptions:         co,
		DisableRPRegistration: true, // a reader registers nothing
	}
}

// inFlight bounds the tries in flight at once: one place of slots per try,
// released when its answer (body included) has arrived, so a wait for
// Retry-After holds no place.
type inFlight struct{ slots chan struct{} }

func (p inFlight) Do(req *policy.Request) (*http.Response, error) {
	if p.slots == nil {
		return req.Next()
	}
	select {
	case p.slots <- struct{}{}:
	case <-req.Raw().Context().Done():
		return nil, req.Raw().Context().Err()
	}
	defer func() { <-p.slots }()
	resp, err := req.Next()
	if wire.IsTooLarge(err) {
		return resp, tooLarge{err} // the same answer again would be as large
	}
	return resp, err
}

// tooLarge is a body past the transport's limit, not worth a retry.
type tooLarge struct{ error }

func (e tooLarge) Unwrap() error { return e.error }
func (tooLarge) NonRetriable()   {}

// errEmptyAnswer is a 200 without a body: the SDK would read it as an
// empty resource (no policy, no APIs) instead of a failure.
var errEmptyAnswer = errors.New("HTTP 200 with an empty body, not ARM's answer")

// emptyAnswer turns a 200 without a body into errEmptyAnswer.
type emptyAnswer struct{}

func (emptyAnswer) Do(req *policy.Request) (*http.Response, error) {
	resp, err := req.Next()
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := runtime.Payload(resp) // already downloaded by the pipeline
	if err != nil {
		return resp, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errEmptyAnswer
	}
	return resp, nil
}

// disableInstanceDiscovery skips MSAL's instance discovery (a call to the
// public cloud) for an authority host that is not a known cloud's.
func (o Options) disableInstanceDiscovery() bool {
	return !slices.ContainsFunc(Clouds, func(c Cloud) bool {
		return strings.EqualFold(strings.TrimRight(o.Cloud.AuthorityHost, "/"), c.AuthorityHost)
	})
}

// withinDeadline bounds the wait before the retry by the call's deadline:
// a Retry-After longer than half the time left is not honoured (the answer
// stands), so a throttled read ends within the run instead of outliving it.
type withinDeadline struct{ base policy.RetryOptions }

func (p withinDeadline) Do(req *policy.Request) (*http.Response, error) {
	o := p.base
	if d, ok := req.Raw().Context().Deadline(); ok {
		left := time.Until(d) / 2
		if left < retryDelay {
			o.MaxRetries = -1 // no time for a second try
		} else if left < o.MaxRetryDelay {
			o.MaxRetryDelay = left
		}
	}
	return req.WithContext(policy.WithRetryOptions(req.Raw().Context(), o)).Next()
}

// audienceOrigin removes the Authorization header from any request that
// leaves the origin its token was issued for (a nextLink on another host):
// a token goes only where its audience lives.
type audienceOrigin struct{ origin string }

func (p audienceOrigin) Do(req *policy.Request) (*http.Response, error) {
	if !wire.SameOrigin(req.Raw().URL, p.origin) {
		req.Raw().Header.Del("Authorization")
	}
	return req.Next()
}
