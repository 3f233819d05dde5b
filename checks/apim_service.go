package checks

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/c7doctor/c7doctor/report"
	"github.com/c7doctor/c7doctor/wire"
)

// runAPIMService judges the instance itself: a tier that can serve MCP
// (Part 1), a finished deployment, and a gateway that is the one the wire
// checks talked to.
func runAPIMService(ctx context.Context, env *Env, r *Result) {
	snap := apimSnapshot(ctx, env, r, true)
	if snap == nil {
		return
	}
	s := snap.Service
	r.Evidence("sku", fmt.Sprintf("%s (capacity %d)", s.SKU, s.Capacity))
	r.Evidence("provisioning_state", s.ProvisioningState)
	r.Evidence("gateway_url", s.GatewayURL)
	if strings.EqualFold(s.SKU, "Consumption") {
		r.Findf("apim-sku-consumption", "%s is on the Consumption tier, which cannot serve MCP backends.", s.Name)
	}
	switch st := s.ProvisioningState; {
	case strings.EqualFold(st, "Succeeded"):
	case strings.EqualFold(st, "Failed"):
		r.Find("apim-not-provisioned", fmt.Sprintf("Provisioning state %s.", st), WithSeverity(report.Error))
	default:
		r.Findf("apim-not-provisioned", "Provisioning state %q.", st)
	}
	hosts := append([]string{s.GatewayURL}, s.RegionalGatewayURLs...)
	for _, h := range s.ProxyHostNames {
		hosts = append(hosts, "https://"+h)
	}
	if gw, err := url.Parse(env.Config.Gateway); err == nil && gw.Host != "" {
		matched := false
		for _, h := range hosts {
			if h != "" && wire.SameOrigin(gw, h) {
				matched = true
			}
		}
		if !matched {
			r.Findf("apim-gateway-mismatch", "--gateway is %s; %s serves %s.", env.Config.Gateway, s.Name, strings.Join(nonEmpty(hosts), ", "))
		}
	}
	if !r.Failed() {
		r.Summary("%s: %s, %s, gateway %s", s.Name, s.SKU, s.ProvisioningState, s.GatewayURL)
	}
}

func nonEmpty(in []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range in {
		if s != "" && !seen[strings.ToLower(s)] {
			seen[strings.ToLower(s)] = true
			out = append(out, s)
		}
	}
	return out
}
