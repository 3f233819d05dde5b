package checks

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/c7doctor/c7doctor/auth"
)

// multiTenant are the authority segments that name no tenant.
var multiTenant = map[string]bool{"common": true, "organizations": true, "consumers": true}

// entraTenantSegment returns the tenant segment of an Entra URL
// (<authority>/<tenant>/…) and the rest of its path.
func entraTenantSegment(u *url.URL) (tenant, rest string) {
	p := strings.TrimPrefix(u.EscapedPath(), "/")
	tenant, rest, _ = strings.Cut(p, "/")
	if t, err := url.PathUnescape(tenant); err == nil {
		tenant = t
	}
	return tenant, "/" + rest
}

// tenantProblem says why a tenant segment names no usable tenant, "" when
// it is a GUID or a domain.
func tenantProblem(t string) string {
	switch {
	case t == "":
		return "it names no tenant"
	case holdsPlaceholder(t):
		return fmt.Sprintf("it still holds the placeholder %s", t)
	case multiTenant[strings.ToLower(t)]:
		return fmt.Sprintf("it uses the multi-tenant endpoint %q instead of the tenant", t)
	case auth.IsTenant(t):
		return ""
	}
	return fmt.Sprintf("%q is neither a tenant GUID nor a domain", t)
}

// noteTenant takes a tenant the gateway revealed. With no tenant
// configured it becomes the run's tenant (inferred). It returns a mismatch
// description when both are GUIDs and differ; when one side is a domain the
// comparison waits for tenant-keys, which resolves domains to GUIDs.
func noteTenant(env *Env, r *Result, seen, where, check string) (mismatch string) {
	cfg := env.Config
	ds := &env.State.Discovery
	switch {
	case cfg.Tenant == "":
		env.Infer("tenant", seen)
		ds.TenantInferredFrom = where
		r.Evidence("tenant", seen+" (inferred from "+where+")")
	case strings.EqualFold(cfg.Tenant, seen):
		r.Evidence("tenant", seen)
	case auth.IsGUID(cfg.Tenant) && auth.IsGUID(seen):
		r.Evidence("tenant", seen)
		return fmt.Sprintf("%s names tenant %s, but the tenant is %s (%s)", where, seen, cfg.Tenant, tenantOrigin(env))
	default:
		r.Evidence("tenant", seen+" (compared with "+cfg.Tenant+" once tenant-keys resolves it)")
		ds.TenantSources = append(ds.TenantSources, TenantSeen{Tenant: seen, Where: where, Check: check})
	}
	return ""
}

// tenantOrigin says where the run's tenant comes from.
func tenantOrigin(env *Env) string {
	if f := env.State.Discovery.TenantInferredFrom; f != "" {
		return "inferred from " + f
	}
	return "--tenant"
}
