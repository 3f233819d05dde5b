package checks

import (
	"strings"
	"testing"
	"time"

	"github.com/c7doctor/c7doctor/auth"
)

func TestOBOFindingID(t *testing.T) {
	tests := []struct {
		codes []int
		err   string
		want  string
	}{
		{[]int{65001}, "invalid_grant", "obo-consent"},
		{[]int{70011}, "invalid_scope", "obo-invalid-scope"},
		{[]int{7000215}, "invalid_client", "obo-bad-secret"},
		{[]int{7000222}, "invalid_client", "obo-secret-expired"},
		{[]int{700016}, "unauthorized_client", "obo-unknown-client"},
		{[]int{500011}, "invalid_resource", "obo-resource-not-found"},
		{[]int{50013}, "invalid_grant", "obo-assertion-refused"},
		{[]int{500131}, "invalid_grant", "obo-assertion-refused"},
		{[]int{500133}, "invalid_grant", "obo-assertion-refused"},
		{[]int{50076}, "interaction_required", "obo-interaction-required"},
		{[]int{50079}, "interaction_required", "obo-interaction-required"},
		{[]int{53003}, "interaction_required", "obo-interaction-required"},
		{[]int{65005}, "invalid_client", "obo-resource-misconfigured"},
		{[]int{90002}, "invalid_tenant", "obo-refused"},
		{nil, "interaction_required", "obo-interaction-required"},
	}
	for _, tt := range tests {
		got := EntraFinding("obo", &auth.EntraError{Codes: tt.codes, Error: tt.err}, &Config{})
		if got != tt.want {
			t.Errorf("%v %s: %s, want %s", tt.codes, tt.err, got, tt.want)
		}
		if e, ok := Catalog()[got]; !ok || e.Check != "obo" {
			t.Errorf("%s is not an obo catalog entry", got)
		}
		for _, c := range tt.codes {
			if e := Catalog()[got]; got != "obo-refused" && !containsInt(e.AADSTS, c) {
				t.Errorf("%s does not list AADSTS%d for explain", got, c)
			}
		}
	}
}

func containsInt(list []int, n int) bool {
	for _, v := range list {
		if v == n {
			return true
		}
	}
	return false
}

// AADSTS50013 is named for what it is: the gateway token refused, with the
// claim that explains it.
func TestAssertionDiagnosis(t *testing.T) {
	tests := []struct {
		name string
		mod  func(map[string]any)
		says string
	}{
		{"wrong audience", func(c map[string]any) { c["aud"] = testMCPAPI }, "its audience is " + testMCPAPI},
		{"v1", func(c map[string]any) { c["iss"], c["ver"] = "https://sts.windows.net/"+testTenant+"/", "1.0" }, "it is a v1 token"},
		{"expired", func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }, "it expired at"},
		{"other tenant", func(c map[string]any) { c["tid"] = "c0ffee00-1111-4222-8333-444455556666" }, "issued by tenant c0ffee00"},
		{"looks right", nil, "Entra could not validate its signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := diagEnv(t, "https://apim.example", time.Second)
			env.State.GatewayToken = unsignedEntraToken(gatewayClaims(tt.mod))
			if got := assertionDiagnosis(env); !strings.Contains(got, tt.says) {
				t.Errorf("%s", got)
			}
		})
	}
}
