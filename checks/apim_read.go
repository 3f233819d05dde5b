package checks

import (
	"context"
	"fmt"
	"strings"

	"github.com/c7doctor/c7doctor/azure"
	"github.com/c7doctor/c7doctor/report"
)

// APIMReader reads the APIM instance from Azure Resource Manager
// (*azure.Reader; tests may pass their own).
type APIMReader interface {
	ReadAPIM(ctx context.Context, t azure.Target, o azure.ReadOptions) (*azure.APIM, error)
	Endpoint() string
}

// apimRead is the one read of the instance a run makes. It starts before
// the first check (so it overlaps the wire journey) and the configuration
// checks wait for it.
type apimRead struct {
	started bool
	done    chan struct{}
	snap    *azure.APIM
	err     error
	applied bool // inferred values copied into the run's target
	lint    lintedPolicies
}

// prefetchAPIM starts the read. It runs on the runner's goroutine before
// any check, so it may set the run's config; the read itself works on a copy.
func prefetchAPIM(ctx context.Context, env *Env) {
	r := &env.State.APIM
	if r.started || env.ARM == nil {
		return
	}
	if env.Config.APIMName == "" {
		env.Infer("apim_name", azure.ServiceNameFromHost(hostOf(env.Config.Gateway)))
	}
	if env.Config.APIMName == "" {
		return
	}
	r.started, r.done = true, make(chan struct{})
	t := azure.Target{Subscription: env.Config.Subscription, ResourceGroup: env.Config.ResourceGroup, Service: env.Config.APIMName}
	o := azure.ReadOptions{Secrets: env.Config.ReadSecrets, Sealed: []string{nvGatewaySecret}, APIPaths: guideAPIPaths(env.Config.APIPath)}
	budget := checkTimeout(env.Config)
	go func() {
		defer close(r.done)
		rctx, cancel := context.WithTimeout(ctx, budget)
		defer cancel()
		r.snap, r.err = env.ARM.ReadAPIM(rctx, t, o)
	}()
}

func hostOf(origin string) string {
	h := origin
	if i := strings.Index(h, "://"); i >= 0 {
		h = h[i+3:]
	}
	if i := strings.IndexAny(h, ":/"); i >= 0 {
		h = h[:i]
	}
	return h
}

// needAPIM is the configuration checks' Ready: an ARM reader and an
// instance name.
func needAPIM(env *Env) string {
	if env.ARM == nil {
		return "no Azure credential configured"
	}
	if env.Config.APIMName == "" && azure.ServiceNameFromHost(hostOf(env.Config.Gateway)) == "" {
		return "needs the APIM instance: set --apim-name (the gateway host is not <name>.azure-api.net)"
	}
	return ""
}

// apimSnapshot waits for the read. On a failed read it skips r; the first
// configuration check (first) also says why with one info finding and the
// fix. It returns nil when r was skipped.
func apimSnapshot(ctx context.Context, env *Env, r *Result, first bool) *azure.APIM {
	rd := &env.State.APIM
	if !rd.started {
		prefetchAPIM(ctx, env)
	}
	if !rd.started {
		r.Skip(needAPIM(env))
		return nil
	}
	select {
	case <-rd.done:
	case <-ctx.Done():
		r.Find("check-timeout", "The configuration read from Azure Resource Manager did not finish in time.")
		return nil
	}
	if rd.snap != nil && !rd.applied {
		rd.applied = true
		for _, f := range rd.snap.Inferred {
			switch f {
			case "subscription":
				env.Infer(f, rd.snap.Target.Subscription)
			case "resource_group":
				env.Infer(f, rd.snap.Target.ResourceGroup)
			}
		}
	}
	if rd.err == nil {
		r.Evidence("instance", rd.snap.Target.ID())
		return rd.snap
	}
	id, why := readFailure(rd.err)
	if first {
		r.Find(id, fmt.Sprintf("%s (ARM endpoint %s).", strings.TrimPrefix(rd.err.Error(), "azure: "), env.ARM.Endpoint()))
	}
	r.Skip(why)
	return nil
}

// readFailure is the finding and skip reason of a read that failed.
func readFailure(err error) (id, why string) {
	switch azure.KindOf(err) {
	case azure.KindNoAccess:
		return "arm-no-access", "no read access to the APIM instance (Reader on the instance)"
	case azure.KindCredential:
		return "arm-no-credential", "no Azure sign-in to read the APIM instance with"
	case azure.KindTarget:
		return "arm-target-unknown", "the APIM instance could not be located"
	}
	return "arm-unavailable", "Azure Resource Manager did not answer the read"
}

// partial records a part of the instance that could not be read: the check
// says so and judges what it has, never warning for want of access.
func partial(r *Result, what string, err error) {
	r.Find("arm-partial-read", sentence(fmt.Sprintf("Could not read %s: %s", what, strings.TrimPrefix(err.Error(), "azure: "))), WithSeverity(report.Info))
}
