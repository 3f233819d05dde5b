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

const (
	testSecret   = "s3cr~et-value-that-must-never-show"
	testSecretID = "5c1e9a3d-7b2f-4d6e-a8c0-2f4b6d8e0a1c"
)

var testTarget = Target{Subscription: "d5b7c3a1-9e2f-4c6d-8b0a-1f3e5d7c9b24", ResourceGroup: "rg", Service: "apim-x"}

// fakeAPIM is an instance as armapimanagement's fake servers serve it:
// the guide's setup, which each case then breaks.
type fakeAPIM struct {
	serviceStatus int // non-zero: the service GET fails with it
	sku           armapimanagement.SKUType
	namedStatus   int // non-zero: listing named values fails with it
	listValue     string
	listValueErr  int
	// policies overrides a document by its Where ("" removes it);
	// policyStatus fails a policy read with a status.
	policies     map[string]string
	policyStatus map[string]int
	// apiDiagnosticBytes is the MCP API's diagnostic's response body bytes.
	apiDiagnosticBytes int32
}

func (f fakeAPIM) server() *fake.ServerFactory {
	sf := f.instance()
	f.policyServers(sf)
	return sf
}

func (f fakeAPIM) instance() *fake.ServerFactory {
	return &fake.ServerFactory{
		ServiceServer: fake.ServiceServer{
			Get: func(ctx context.Context, rg, name string, _ *armapimanagement.ServiceClientGetOptions) (resp azfake.Responder[armapimanagement.ServiceClientGetResponse], errResp azfake.ErrorResponder) {
				if f.serviceStatus != 0 {
					errResp.SetResponseError(f.serviceStatus, "AuthorizationFailed")
					return
				}
				sku := f.sku
				if sku == "" {
					sku = armapimanagement.SKUTypeBasicV2
				}
				resp.SetResponse(http.StatusOK, armapimanagement.ServiceClientGetResponse{ServiceResource: armapimanagement.ServiceResource{
					Name: to.Ptr(name), SKU: &armapimanagement.ServiceSKUProperties{Name: &sku, Capacity: to.Ptr[int32](1)},
					Properties: &armapimanagement.ServiceProperties{
						ProvisioningState: to.Ptr("Succeeded"), GatewayURL: to.Ptr("https://apim-x.azure-api.net"),
						HostnameConfigurations: []*armapimanagement.HostnameConfiguration{
							{Type: to.Ptr(armapimanagement.HostnameTypeProxy), HostName: to.Ptr("mcp.contoso.com")},
							{Type: to.Ptr(armapimanagement.HostnameTypePortal), HostName: to.Ptr("portal.contoso.com")},
						},
					},
				}}, nil)
				return
			},
			NewListPager: func(_ *armapimanagement.ServiceClientListOptions) (resp azfake.PagerResponder[armapimanagement.ServiceClientListResponse]) {
				resp.AddPage(http.StatusOK, armapimanagement.ServiceClientListResponse{ServiceListResult: armapimanagement.ServiceListResult{Value: []*armapimanagement.ServiceResource{
					{Name: to.Ptr("apim-other"), ID: to.Ptr(Target{Subscription: testTarget.Subscription, ResourceGroup: "rg-other", Service: "apim-other"}.ID())},
					{Name: to.Ptr(testTarget.Service), ID: to.Ptr(testTarget.ID())},
				}}}, nil)
				return
			},
		},
		APIServer: fake.APIServer{
			NewListByServicePager: func(rg, name string, _ *armapimanagement.APIClientListByServiceOptions) (resp azfake.PagerResponder[armapimanagement.APIClientListByServiceResponse]) {
				// Two pages: the pager must follow nextLink.
				resp.AddPage(http.StatusOK, armapimanagement.APIClientListByServiceResponse{APICollection: armapimanagement.APICollection{Value: []*armapimanagement.APIContract{
					{Name: to.Ptr("context7-mcp"), Properties: &armapimanagement.APIContractProperties{Path: to.Ptr("context7"), ServiceURL: to.Ptr("https://mcp.context7.com"), SubscriptionRequired: to.Ptr(false), Protocols: []*armapimanagement.Protocol{to.Ptr(armapimanagement.ProtocolHTTPS)}}},
				}}}, nil)
				resp.AddPage(http.StatusOK, armapimanagement.APIClientListByServiceResponse{APICollection: armapimanagement.APICollection{Value: []*armapimanagement.APIContract{
					{Name: to.Ptr("oauth-proxy"), Properties: &armapimanagement.APIContractProperties{Path: to.Ptr(""), ServiceURL: to.Ptr("https://login.microsoftonline.com/t/oauth2/v2.0")}},
				}}}, nil)
				return
			},
		},
		APIOperationServer: fake.APIOperationServer{
			NewListByAPIPager: func(rg, name, api string, _ *armapimanagement.APIOperationClientListByAPIOptions) (resp azfake.PagerResponder[armapimanagement.APIOperationClientListByAPIResponse]) {
				ops := map[string][]string{"context7-mcp": {"POST /mcp"}, "oauth-proxy": {"GET /authorize", "POST /token"}}[api]
				var page armapimanagement.APIOperationClientListByAPIResponse
				for _, o := range ops {
					m, p, _ := strings.Cut(o, " ")
					page.Value = append(page.Value, &armapimanagement.OperationContract{Name: to.Ptr(strings.ToLower(m)), Properties: &armapimanagement.OperationContractProperties{Method: to.Ptr(strings.ToLower(m)), URLTemplate: to.Ptr(p)}})
				}
				resp.AddPage(http.StatusOK, page, nil)
				return
			},
		},
		NamedValueServer: fake.NamedValueServer{
			NewListByServicePager: func(rg, name string, _ *armapimanagement.NamedValueClientListByServiceOptions) (resp azfake.PagerResponder[armapimanagement.NamedValueClientListByServiceResponse]) {
				if f.namedStatus != 0 {
					resp.AddResponseError(f.namedStatus, "AuthorizationFailed")
					return
				}
				resp.AddPage(http.StatusOK, armapimanagement.NamedValueClientListByServiceResponse{NamedValueCollection: armapimanagement.NamedValueCollection{Value: []*armapimanagement.NamedValueContract{
					{Name: to.Ptr("entra-tenant-id"), Properties: &armapimanagement.NamedValueContractProperties{DisplayName: to.Ptr("entra-tenant-id"), Value: to.Ptr("t"), Secret: to.Ptr(false)}},
					{Name: to.Ptr("apim-gateway-client-secret"), Properties: &armapimanagement.NamedValueContractProperties{
						DisplayName: to.Ptr("apim-gateway-client-secret"), Secret: to.Ptr(true),
						KeyVault: &armapimanagement.KeyVaultContractProperties{
							SecretIdentifier: to.Ptr("https://kv.vault.azure.net/secrets/s"),
							LastStatus:       &armapimanagement.KeyVaultLastAccessStatusContractProperties{Code: to.Ptr("Forbidden"), Message: to.Ptr("no get permission"), TimeStampUTC: to.Ptr(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))},
						},
					}},
					{Name: to.Ptr("plain-secret"), Properties: &armapimanagement.NamedValueContractProperties{Value: to.Ptr(testSecret), Secret: to.Ptr(false)}},
				}}}, nil)
				return
			},
			ListValue: func(ctx context.Context, rg, name, id string, _ *armapimanagement.NamedValueClientListValueOptions) (resp azfake.Responder[armapimanagement.NamedValueClientListValueResponse], errResp azfake.ErrorResponder) {
				if f.listValueErr != 0 {
					errResp.SetResponseError(f.listValueErr, "AuthorizationFailed")
					return
				}
				resp.SetResponse(http.StatusOK, armapimanagement.NamedValueClientListValueResponse{NamedValueSecretContract: armapimanagement.NamedValueSecretContract{Value: to.Ptr(f.listValue)}}, nil)
				return
			},
		},
	}
}

func fakeReader(f fakeAPIM) *Reader {
	return NewReader(&azfake.TokenCredential{}, Options{
		Transport: fake.NewServerFactoryTransport(f.server()), Cloud: Clouds[0], TryTimeout: 5 * time.Second,
	})
}

func TestReadAPIM(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cases := []struct {
		name    string
		f       fakeAPIM
		o       ReadOptions
		errKind Kind
		check   func(t *testing.T, a *APIM)
	}{
		{name: "healthy, secrets read", f: fakeAPIM{listValue: testSecret}, o: ReadOptions{Secrets: true, Sealed: []string{"plain-secret"}}, check: func(t *testing.T, a *APIM) {
			s := a.Service
			if s.SKU != "BasicV2" || s.Capacity != 1 || s.ProvisioningState != "Succeeded" || s.GatewayURL != "https://apim-x.azure-api.net" {
				t.Errorf("service %+v", s)
			}
			if len(s.ProxyHostNames) != 1 || s.ProxyHostNames[0] != "mcp.contoso.com" {
				t.Errorf("proxy host names %v: only the gateway's custom domains", s.ProxyHostNames)
			}
			if len(a.APIs) != 2 {
				t.Fatalf("APIs %+v: both pages read", a.APIs)
			}
			mcp, ok := a.FindAPI("/context7/")
			if !ok || mcp.SubscriptionRequired || len(mcp.Operations) != 1 || mcp.Operations[0].Method != "POST" || mcp.Operations[0].URLTemplate != "/mcp" {
				t.Errorf("MCP API %+v", mcp)
			}
			proxy, ok := a.FindAPI("")
			if !ok || !proxy.SubscriptionRequired || len(proxy.Operations) != 2 {
				t.Errorf("proxy API %+v: subscriptionRequired absent means APIM's default, true", proxy)
			}
			nv, ok := a.FindNamedValue("apim-gateway-client-secret")
			if !ok || !nv.Secret || nv.Value != "" || !nv.SecretRead() || !nv.SecretEquals(testSecret) || nv.SecretEquals("other") || nv.SecretIsGUID() {
				t.Errorf("secret named value %+v", nv)
			}
			if !nv.KeyVault.RefreshFailed() || nv.KeyVault.LastMessage != "no get permission" || nv.KeyVault.LastRefresh.Year() != 2026 {
				t.Errorf("key vault %+v", nv.KeyVault)
			}
			plain, _ := a.FindNamedValue("plain-secret")
			if plain.Value != "" || !plain.SecretEquals(testSecret) {
				t.Errorf("a sealed plain value stays visible: %+v", plain)
			}
			// A snapshot printed any way shows no secret.
			for _, form := range []string{fmt.Sprintf("%v", a), fmt.Sprintf("%+v", *a), fmt.Sprintf("%#v", *a)} {
				if strings.Contains(form, testSecret) {
					t.Fatalf("the snapshot prints the secret: %s", form)
				}
			}
		}},
		{name: "secret id pasted", f: fakeAPIM{listValue: " " + testSecretID + "\n"}, o: ReadOptions{Secrets: true}, check: func(t *testing.T, a *APIM) {
			nv, _ := a.FindNamedValue("apim-gateway-client-secret")
			if !nv.SecretIsGUID() {
				t.Error("a GUID is not recognised as the Secret ID")
			}
		}},
		{name: "secrets not asked", f: fakeAPIM{listValue: testSecret}, check: func(t *testing.T, a *APIM) {
			nv, _ := a.FindNamedValue("apim-gateway-client-secret")
			if nv.SecretRead() || nv.SecretErr != nil {
				t.Errorf("listValue was called without --read-secrets: %+v", nv)
			}
		}},
		{name: "listValue refused", f: fakeAPIM{listValueErr: 403}, o: ReadOptions{Secrets: true}, check: func(t *testing.T, a *APIM) {
			nv, _ := a.FindNamedValue("apim-gateway-client-secret")
			if KindOf(nv.SecretErr) != KindNoAccess || nv.SecretRead() {
				t.Errorf("secret error %v", nv.SecretErr)
			}
		}},
		{name: "consumption", f: fakeAPIM{sku: armapimanagement.SKUTypeConsumption}, check: func(t *testing.T, a *APIM) {
			if a.Service.SKU != "Consumption" {
				t.Errorf("sku %q", a.Service.SKU)
			}
		}},
		{name: "no access", f: fakeAPIM{serviceStatus: 403}, errKind: KindNoAccess},
		{name: "not found", f: fakeAPIM{serviceStatus: 404}, errKind: KindNoAccess},
		{name: "server error", f: fakeAPIM{serviceStatus: 503}, errKind: KindServer},
		{name: "named values refused, the rest read", f: fakeAPIM{namedStatus: 403}, check: func(t *testing.T, a *APIM) {
			if KindOf(a.NamedValuesErr) != KindNoAccess || len(a.APIs) != 2 {
				t.Errorf("named values error %v, %d APIs", a.NamedValuesErr, len(a.APIs))
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := fakeReader(tc.f).ReadAPIM(ctx, testTarget, tc.o)
			if tc.errKind != KindOther {
				if KindOf(err) != tc.errKind {
					t.Fatalf("error %v (kind %d), want kind %d", err, KindOf(err), tc.errKind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, a)
		})
	}
}

func TestReadAPIMNeedsAName(t *testing.T) {
	_, err := fakeReader(fakeAPIM{}).ReadAPIM(context.Background(), Target{Subscription: "s", ResourceGroup: "rg"}, ReadOptions{})
	if KindOf(err) != KindTarget || !strings.Contains(err.Error(), "--apim-name") {
		t.Fatalf("%v", err)
	}
}

func TestServiceNameFromHost(t *testing.T) {
	for host, want := range map[string]string{
		"apim-context7-a1b2c3.azure-api.net": "apim-context7-a1b2c3",
		"APIM-X.Azure-API.net":               "apim-x",
		"apim-x.azure-api.us":                "apim-x",
		"apim-x.regional.azure-api.net":      "",
		"mcp.contoso.com":                    "",
		"127.0.0.1":                          "",
	} {
		if got := ServiceNameFromHost(host); got != want {
			t.Errorf("%s: %q, want %q", host, got, want)
		}
	}
}
