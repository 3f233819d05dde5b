package azure

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/apimanagement/armapimanagement/v3"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/apimanagement/armapimanagement/v3/fake"
)

// fakePolicies are the fake instance's documents by where they apply.
var fakePolicies = map[string]string{
	"global":                     `<policies><inbound><include-fragment fragment-id="cors-open" /></inbound><backend><forward-request /></backend><outbound /><on-error /></policies>`,
	"product starter":            `<policies><inbound><base /><rate-limit calls="5" renewal-period="60" /></inbound></policies>`,
	"api context7-mcp":           `<policies><inbound><base /><validate-azure-ad-token tenant-id="{{entra-tenant-id}}" /><include-fragment fragment-id="obo-exchange"/></inbound><on-error><base /></on-error></policies>`,
	"api oauth-proxy":            `<policies><inbound><base /></inbound></policies>`,
	"operation oauth-proxy/get":  "\ufeff" + `<policies><inbound><base /><include-fragment fragment-id="authorize-rewrite" /></inbound></policies>`,
	"fragment authorize-rewrite": `<fragment><rewrite-uri template="/authorize" copy-unmatched-params="true" /></fragment>`,
	"fragment obo-exchange":      `<fragment><send-request mode="new" response-variable-name="obo" /><include-fragment fragment-id="cors-open" /></fragment>`,
	"fragment cors-open":         `<fragment><cors allow-credentials="false"><allowed-origins><origin>*</origin></allowed-origins></cors></fragment>`,
}

// policyServers serve the documents (with format=xml only), the product
// holding the MCP API, and diagnostics at both levels.
func (f fakeAPIM) policyServers(sf *fake.ServerFactory) {
	doc := func(where string, format *armapimanagement.PolicyExportFormat) fakeDoc {
		if st := f.policyStatus[where]; st != 0 {
			return fakeDoc{status: st}
		}
		if format == nil || *format != armapimanagement.PolicyExportFormatXML {
			return fakeDoc{status: http.StatusBadRequest} // rawxml would not parse
		}
		v, ok := f.policies[where]
		if !ok {
			v, ok = fakePolicies[where]
		}
		if !ok || v == "" {
			return fakeDoc{status: http.StatusNotFound}
		}
		return fakeDoc{xml: v, status: http.StatusOK}
	}
	sf.PolicyServer.Get = func(_ context.Context, _, _ string, _ armapimanagement.PolicyIDName, o *armapimanagement.PolicyClientGetOptions) (azfake.Responder[armapimanagement.PolicyClientGetResponse], azfake.ErrorResponder) {
		return policyAnswer(doc("global", o.Format), func(c armapimanagement.PolicyContract) armapimanagement.PolicyClientGetResponse {
			return armapimanagement.PolicyClientGetResponse{PolicyContract: c}
		})
	}
	sf.APIPolicyServer.Get = func(_ context.Context, _, _, api string, _ armapimanagement.PolicyIDName, o *armapimanagement.APIPolicyClientGetOptions) (azfake.Responder[armapimanagement.APIPolicyClientGetResponse], azfake.ErrorResponder) {
		return policyAnswer(doc("api "+api, o.Format), func(c armapimanagement.PolicyContract) armapimanagement.APIPolicyClientGetResponse {
			return armapimanagement.APIPolicyClientGetResponse{PolicyContract: c}
		})
	}
	sf.APIOperationPolicyServer.Get = func(_ context.Context, _, _, api, op string, _ armapimanagement.PolicyIDName, o *armapimanagement.APIOperationPolicyClientGetOptions) (azfake.Responder[armapimanagement.APIOperationPolicyClientGetResponse], azfake.ErrorResponder) {
		return policyAnswer(doc("operation "+api+"/"+op, o.Format), func(c armapimanagement.PolicyContract) armapimanagement.APIOperationPolicyClientGetResponse {
			return armapimanagement.APIOperationPolicyClientGetResponse{PolicyContract: c}
		})
	}
	sf.ProductPolicyServer.Get = func(_ context.Context, _, _, product string, _ armapimanagement.PolicyIDName, o *armapimanagement.ProductPolicyClientGetOptions) (azfake.Responder[armapimanagement.ProductPolicyClientGetResponse], azfake.ErrorResponder) {
		return policyAnswer(doc("product "+product, o.Format), func(c armapimanagement.PolicyContract) armapimanagement.ProductPolicyClientGetResponse {
			return armapimanagement.ProductPolicyClientGetResponse{PolicyContract: c}
		})
	}
	sf.PolicyFragmentServer.Get = func(_ context.Context, _, _, id string, o *armapimanagement.PolicyFragmentClientGetOptions) (azfake.Responder[armapimanagement.PolicyFragmentClientGetResponse], azfake.ErrorResponder) {
		var format *armapimanagement.PolicyExportFormat
		if o.Format != nil {
			format = to.Ptr(armapimanagement.PolicyExportFormat(*o.Format))
		}
		return policyAnswer(doc("fragment "+id, format), func(c armapimanagement.PolicyContract) armapimanagement.PolicyFragmentClientGetResponse {
			return armapimanagement.PolicyFragmentClientGetResponse{PolicyFragmentContract: armapimanagement.PolicyFragmentContract{
				Name: to.Ptr(id), Properties: &armapimanagement.PolicyFragmentContractProperties{Value: c.Properties.Value},
			}}
		})
	}
	sf.APIProductServer.NewListByApisPager = func(_, _, api string, _ *armapimanagement.APIProductClientListByApisOptions) (resp azfake.PagerResponder[armapimanagement.APIProductClientListByApisResponse]) {
		var page armapimanagement.APIProductClientListByApisResponse
		if api == "context7-mcp" {
			page.Value = []*armapimanagement.ProductContract{{Name: to.Ptr("starter")}, {Name: to.Ptr("unlimited")}}
		}
		resp.AddPage(http.StatusOK, page, nil)
		return
	}
	sf.DiagnosticServer.NewListByServicePager = func(_, _ string, _ *armapimanagement.DiagnosticClientListByServiceOptions) (resp azfake.PagerResponder[armapimanagement.DiagnosticClientListByServiceResponse]) {
		resp.AddPage(http.StatusOK, armapimanagement.DiagnosticClientListByServiceResponse{DiagnosticCollection: armapimanagement.DiagnosticCollection{Value: []*armapimanagement.DiagnosticContract{
			diagnosticContract("applicationinsights", 1024, 0),
			diagnosticContract("azuremonitor", 0, 0),
		}}}, nil)
		return
	}
	sf.APIDiagnosticServer.NewListByServicePager = func(_, _, api string, _ *armapimanagement.APIDiagnosticClientListByServiceOptions) (resp azfake.PagerResponder[armapimanagement.APIDiagnosticClientListByServiceResponse]) {
		var page armapimanagement.APIDiagnosticClientListByServiceResponse
		if api == "context7-mcp" {
			page.Value = []*armapimanagement.DiagnosticContract{diagnosticContract("azuremonitor", 0, f.apiDiagnosticBytes)}
		}
		resp.AddPage(http.StatusOK, page, nil)
		return
	}
}

type fakeDoc struct {
	xml    string
	status int
}

// policyAnswer answers a policy GET with the document, or its status.
func policyAnswer[R any](d fakeDoc, wrap func(armapimanagement.PolicyContract) R) (resp azfake.Responder[R], errResp azfake.ErrorResponder) {
	if d.status != http.StatusOK {
		errResp.SetResponseError(d.status, "ResourceNotFound")
		return
	}
	resp.SetResponse(http.StatusOK, wrap(armapimanagement.PolicyContract{Name: to.Ptr("policy"), Properties: &armapimanagement.PolicyContractProperties{
		Value: to.Ptr(d.xml), Format: to.Ptr(armapimanagement.PolicyContentFormatXML),
	}}), nil)
	return
}

func diagnosticContract(name string, requestBytes, responseBytes int32) *armapimanagement.DiagnosticContract {
	msg := func(n int32) *armapimanagement.HTTPMessageDiagnostic {
		return &armapimanagement.HTTPMessageDiagnostic{Body: &armapimanagement.BodyDiagnosticSettings{Bytes: to.Ptr(n)}}
	}
	return &armapimanagement.DiagnosticContract{Name: to.Ptr(name), Properties: &armapimanagement.DiagnosticContractProperties{
		LoggerID:  to.Ptr("/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim-x/loggers/" + name),
		Verbosity: to.Ptr(armapimanagement.VerbosityInformation),
		Sampling:  &armapimanagement.SamplingSettings{SamplingType: to.Ptr(armapimanagement.SamplingTypeFixed), Percentage: to.Ptr(100.0)},
		Frontend:  &armapimanagement.PipelineDiagnosticSettings{Request: msg(requestBytes), Response: msg(responseBytes)},
		Backend:   &armapimanagement.PipelineDiagnosticSettings{Request: msg(0), Response: msg(responseBytes)},
	}}
}

func wheres(docs []PolicyDoc) string {
	var w []string
	for _, d := range docs {
		w = append(w, d.Where())
	}
	return strings.Join(w, ", ")
}

func TestReadPolicies(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cases := []struct {
		name  string
		f     fakeAPIM
		o     ReadOptions
		check func(t *testing.T, p Policies)
	}{
		{name: "every scope and the fragments they include", f: fakeAPIM{}, o: ReadOptions{APIPaths: []string{"context7", ""}}, check: func(t *testing.T, p Policies) {
			want := "global, product starter, api context7-mcp, api oauth-proxy, operation oauth-proxy/get, fragment authorize-rewrite, fragment cors-open, fragment obo-exchange"
			if got := wheres(p.Docs); got != want || len(p.Errs) != 0 {
				t.Fatalf("documents %s (errors %v), want %s", got, p.Errs, want)
			}
			if got := fmt.Sprint(p.ProductAPIs); got != "map[starter:[context7-mcp] unlimited:[context7-mcp]]" {
				t.Errorf("product APIs %s", got)
			}
			d, ok := p.Doc(PolicyOperation, "oauth-proxy", "get")
			if !ok || !strings.HasPrefix(d.XML, "<policies>") {
				t.Errorf("operation document %q: the byte-order mark stays", d.XML)
			}
			if d, _ := p.Doc(PolicyAPI, "context7-mcp", ""); d.XML != fakePolicies["api context7-mcp"] {
				t.Errorf("api document %q", d.XML)
			}
		}},
		{name: "only the APIs asked for", f: fakeAPIM{}, o: ReadOptions{APIPaths: []string{"/context7/"}}, check: func(t *testing.T, p Policies) {
			want := "global, product starter, api context7-mcp, fragment cors-open, fragment obo-exchange"
			if got := wheres(p.Docs); got != want {
				t.Fatalf("documents %s, want %s", got, want)
			}
		}},
		{name: "invalid XML passes through", f: fakeAPIM{policies: map[string]string{"api context7-mcp": `<policies><inbound><include-fragment fragment-id="obo-exchange"/><base></policies>`}}, check: func(t *testing.T, p Policies) {
			d, ok := p.Doc(PolicyAPI, "context7-mcp", "")
			if !ok || d.XML != `<policies><inbound><include-fragment fragment-id="obo-exchange"/><base></policies>` || len(p.Errs) != 0 {
				t.Fatalf("%+v %v", d, p.Errs)
			}
			if !strings.Contains(wheres(p.Docs), "fragment obo-exchange") {
				t.Errorf("the fragment included before the fault is not read: %s", wheres(p.Docs))
			}
		}},
		{name: "no global policy, a fragment missing", f: fakeAPIM{policies: map[string]string{"global": "", "fragment obo-exchange": ""}}, check: func(t *testing.T, p Policies) {
			if len(p.Errs) != 0 || strings.Contains(wheres(p.Docs), "global") || strings.Contains(wheres(p.Docs), "obo-exchange") {
				t.Fatalf("%s %v: a 404 is a scope without a document", wheres(p.Docs), p.Errs)
			}
		}},
		{name: "one document refused, the rest read", f: fakeAPIM{policyStatus: map[string]int{"api context7-mcp": 403}}, check: func(t *testing.T, p Policies) {
			if len(p.Errs) != 1 || KindOf(p.Errs[0]) != KindNoAccess || !strings.Contains(p.Errs[0].Error(), "GET policy of api context7-mcp") {
				t.Fatalf("errors %v", p.Errs)
			}
			if _, ok := p.Doc(PolicyGlobal, "", ""); !ok {
				t.Errorf("the global document is missing: %s", wheres(p.Docs))
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := fakeReader(tc.f).ReadAPIM(ctx, testTarget, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, a.Policies)
		})
	}
}

func TestReadDiagnostics(t *testing.T) {
	a, err := fakeReader(fakeAPIM{apiDiagnosticBytes: 8192}).ReadAPIM(context.Background(), testTarget, ReadOptions{APIPaths: []string{"context7", ""}})
	if err != nil {
		t.Fatal(err)
	}
	d := a.Diagnostics
	if len(d.Errs) != 0 || len(d.Settings) != 3 {
		t.Fatalf("%+v", d)
	}
	eff := d.Effective("context7-mcp")
	if len(eff) != 2 {
		t.Fatalf("effective %+v", eff)
	}
	for _, s := range eff {
		switch s.Name {
		case "azuremonitor":
			if s.Scope != DiagnosticAPI || s.FrontendResponseBodyBytes != 8192 || s.BackendResponseBodyBytes != 8192 || !s.BuffersResponses() {
				t.Errorf("API level %+v", s)
			}
		case "applicationinsights":
			if s.Scope != DiagnosticService || s.FrontendRequestBodyBytes != 1024 || s.BuffersResponses() || s.Verbosity != "information" || s.SamplingPercent != 100 || !strings.HasSuffix(s.LoggerID, "/loggers/applicationinsights") {
				t.Errorf("service level %+v", s)
			}
		}
	}
	for _, s := range d.Effective("oauth-proxy") {
		if s.Scope != DiagnosticService {
			t.Errorf("oauth-proxy %+v: it has no API-level diagnostic", s)
		}
	}
}
