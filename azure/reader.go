package azure

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/apimanagement/armapimanagement/v3"

	"github.com/c7doctor/c7doctor/wire"
)

// Reader reads the APIM instance through ARM with one credential.
type Reader struct {
	cred azcore.TokenCredential
	opts Options
}

// NewReader returns a reader; the credential is built by the caller
// (DefaultCredential for a real run, SecretCredential for the lab).
func NewReader(cred azcore.TokenCredential, o Options) *Reader {
	return &Reader{cred: cred, opts: o}
}

// Endpoint is the ARM endpoint read.
func (r *Reader) Endpoint() string { return r.opts.Cloud.ARMEndpoint }

// ReadOptions choose what a read includes.
type ReadOptions struct {
	// Secrets reads secret named values with listValue (a POST that needs
	// more than Reader). The values are held sealed, never shown.
	Secrets bool
	// Sealed names named values that must hold a secret: if one is not
	// marked secret, its listed value is sealed all the same.
	Sealed []string
}

// Bounds of a read: pages per list (a nextLink that loops ends here) and
// reads in flight at once.
const (
	maxPages    = 20
	maxInFlight = 4
)

// ReadAPIM locates the instance (inferring the subscription and resource
// group when missing) and reads the service, its APIs with their operations
// and its named values, concurrently. The error is for the instance as a
// whole (not found, no access, no credential); parts fail on their own.
func (r *Reader) ReadAPIM(ctx context.Context, t Target, o ReadOptions) (*APIM, error) {
	out := &APIM{Target: t, SecretsRead: o.Secrets}
	if t.Service == "" {
		return out, &Error{Op: "locate the instance", Kind: KindTarget, Message: "no APIM name: set --apim-name"}
	}
	if t.Subscription == "" {
		sub, err := r.onlySubscription(ctx)
		if err != nil {
			return out, err
		}
		out.Target.Subscription = sub
		out.Inferred = append(out.Inferred, "subscription")
	}
	f, err := r.factory(out.Target.Subscription)
	if err != nil {
		return out, err
	}
	if t.ResourceGroup == "" {
		rg, err := r.findResourceGroup(ctx, f, out.Target)
		if err != nil {
			return out, err
		}
		out.Target.ResourceGroup = rg
		out.Inferred = append(out.Inferred, "resource_group")
	}
	t = out.Target

	var wg sync.WaitGroup
	var serviceErr error
	sem := make(chan struct{}, maxInFlight)
	wg.Add(3)
	go func() {
		defer wg.Done()
		out.Service, serviceErr = r.service(ctx, f, t)
	}()
	go func() {
		defer wg.Done()
		out.APIs, out.APIsErr = r.apis(ctx, f, t, sem)
	}()
	go func() {
		defer wg.Done()
		out.NamedValues, out.NamedValuesErr = r.namedValues(ctx, f, t, o.Secrets, o.Sealed, sem)
	}()
	wg.Wait()
	return out, serviceErr
}

func (r *Reader) factory(subscription string) (*armapimanagement.ClientFactory, error) {
	f, err := armapimanagement.NewClientFactory(subscription, r.cred, r.opts.armOptions())
	if err != nil {
		return nil, &Error{Op: "ARM client", Message: err.Error(), Err: err}
	}
	return f, nil
}

// onlySubscription is the credential's one subscription.
func (r *Reader) onlySubscription(ctx context.Context) (string, error) {
	const op = "list subscriptions"
	c, err := arm.NewClient("c7doctor", "v1.0.0", r.cred, r.opts.armOptions())
	if err != nil {
		return "", &Error{Op: op, Message: err.Error(), Err: err}
	}
	next := strings.TrimRight(r.opts.Cloud.ARMEndpoint, "/") + "/subscriptions?api-version=2022-12-01"
	var subs []string
	seen := map[string]bool{}
	for page := 0; next != ""; page++ {
		if page == maxPages || seen[next] {
			return "", &Error{Op: op, Message: fmt.Sprintf("more than %d pages, or a nextLink that loops", maxPages)}
		}
		seen[next] = true
		req, err := runtime.NewRequest(ctx, http.MethodGet, next)
		if err != nil {
			return "", &Error{Op: op, Message: err.Error(), Err: err}
		}
		resp, err := c.Pipeline().Do(req)
		if err != nil {
			return "", classify(op, err)
		}
		if !runtime.HasStatusCode(resp, http.StatusOK) {
			return "", classify(op, runtime.NewResponseError(resp))
		}
		var body struct {
			Value []struct {
				SubscriptionID string `json:"subscriptionId"`
				State          string `json:"state"`
			} `json:"value"`
			NextLink string `json:"nextLink"`
		}
		if err := runtime.UnmarshalAsJSON(resp, &body); err != nil {
			return "", &Error{Op: op, Message: "answer is not the expected JSON: " + firstLine(err.Error()), Err: err}
		}
		for _, s := range body.Value {
			if s.SubscriptionID != "" && (s.State == "" || strings.EqualFold(s.State, "Enabled")) {
				subs = append(subs, s.SubscriptionID)
			}
		}
		next = body.NextLink
	}
	switch len(subs) {
	case 1:
		return subs[0], nil
	case 0:
		return "", &Error{Op: op, Kind: KindTarget, Message: "the credential sees no enabled subscription: set --subscription"}
	}
	return "", &Error{Op: op, Kind: KindTarget, Message: fmt.Sprintf("the credential sees %d subscriptions: set --subscription (or $AZURE_SUBSCRIPTION_ID)", len(subs))}
}

// findResourceGroup lists the subscription's APIM instances for the one named.
func (r *Reader) findResourceGroup(ctx context.Context, f *armapimanagement.ClientFactory, t Target) (string, error) {
	const op = "list APIM instances"
	pager := f.NewServiceClient().NewListPager(nil)
	items, err := listAll(ctx, op, pager, func(p armapimanagement.ServiceClientListResponse) []*armapimanagement.ServiceResource { return p.Value })
	if err != nil {
		return "", err
	}
	for _, s := range items {
		if s.ID == nil || !strings.EqualFold(deref(s.Name), t.Service) {
			continue
		}
		id, err := arm.ParseResourceID(*s.ID)
		if err != nil {
			return "", &Error{Op: op, Message: "unreadable resource id " + *s.ID, Err: err}
		}
		return id.ResourceGroupName, nil
	}
	return "", &Error{Op: op, Kind: KindTarget, Message: fmt.Sprintf("no APIM instance named %q in subscription %s that this credential can see: set --resource-group, or grant Reader", t.Service, t.Subscription)}
}

func (r *Reader) service(ctx context.Context, f *armapimanagement.ClientFactory, t Target) (Service, error) {
	resp, err := f.NewServiceClient().Get(ctx, t.ResourceGroup, t.Service, nil)
	if err != nil {
		return Service{}, classify("GET service "+t.Service, err)
	}
	s := Service{Name: deref(resp.Name), Location: deref(resp.Location)}
	if resp.SKU != nil {
		if resp.SKU.Name != nil {
			s.SKU = string(*resp.SKU.Name)
		}
		if resp.SKU.Capacity != nil {
			s.Capacity = *resp.SKU.Capacity
		}
	}
	if p := resp.Properties; p != nil {
		s.ProvisioningState = deref(p.ProvisioningState)
		s.GatewayURL = deref(p.GatewayURL)
		if u := deref(p.GatewayRegionalURL); u != "" {
			s.RegionalGatewayURLs = append(s.RegionalGatewayURLs, u)
		}
		for _, l := range p.AdditionalLocations {
			if l != nil && deref(l.GatewayRegionalURL) != "" {
				s.RegionalGatewayURLs = append(s.RegionalGatewayURLs, *l.GatewayRegionalURL)
			}
		}
		for _, h := range p.HostnameConfigurations {
			if h != nil && h.Type != nil && *h.Type == armapimanagement.HostnameTypeProxy && deref(h.HostName) != "" {
				s.ProxyHostNames = append(s.ProxyHostNames, *h.HostName)
			}
		}
	}
	return s, nil
}

func (r *Reader) apis(ctx context.Context, f *armapimanagement.ClientFactory, t Target, sem chan struct{}) ([]API, error) {
	const op = "list APIs"
	var out []API
	pager := f.NewAPIClient().NewListByServicePager(t.ResourceGroup, t.Service, nil)
	items, err := listAll(ctx, op, pager, func(p armapimanagement.APIClientListByServiceResponse) []*armapimanagement.APIContract {
		return p.Value
	})
	if err != nil {
		return out, err
	}
	for _, a := range items {
		api := API{Name: deref(a.Name)}
		if p := a.Properties; p != nil {
			api.DisplayName, api.Path, api.ServiceURL = deref(p.DisplayName), deref(p.Path), deref(p.ServiceURL)
			api.SubscriptionRequired = p.SubscriptionRequired == nil || *p.SubscriptionRequired // APIM's default is true
			api.IsCurrent = p.IsCurrent == nil || *p.IsCurrent
			for _, pr := range p.Protocols {
				if pr != nil {
					api.Protocols = append(api.Protocols, string(*pr))
				}
			}
		}
		out = append(out, api)
	}
	var wg sync.WaitGroup
	for i := range out {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i].Operations, out[i].OperationsErr = r.operations(ctx, f, t, out[i].Name)
		}()
	}
	wg.Wait()
	return out, nil
}

func (r *Reader) operations(ctx context.Context, f *armapimanagement.ClientFactory, t Target, api string) ([]Operation, error) {
	op := "list operations of " + api
	var out []Operation
	pager := f.NewAPIOperationClient().NewListByAPIPager(t.ResourceGroup, t.Service, api, nil)
	items, err := listAll(ctx, op, pager, func(p armapimanagement.APIOperationClientListByAPIResponse) []*armapimanagement.OperationContract {
		return p.Value
	})
	if err != nil {
		return out, err
	}
	for _, o := range items {
		oper := Operation{Name: deref(o.Name)}
		if p := o.Properties; p != nil {
			oper.Method, oper.URLTemplate = strings.ToUpper(deref(p.Method)), deref(p.URLTemplate)
		}
		out = append(out, oper)
	}
	return out, nil
}

func (r *Reader) namedValues(ctx context.Context, f *armapimanagement.ClientFactory, t Target, secrets bool, sealedNames []string, sem chan struct{}) ([]NamedValue, error) {
	const op = "list named values"
	client := f.NewNamedValueClient()
	var out []NamedValue
	pager := client.NewListByServicePager(t.ResourceGroup, t.Service, nil)
	items, err := listAll(ctx, op, pager, func(p armapimanagement.NamedValueClientListByServiceResponse) []*armapimanagement.NamedValueContract {
		return p.Value
	})
	if err != nil {
		return out, err
	}
	for _, v := range items {
		nv := NamedValue{Name: deref(v.Name)}
		if p := v.Properties; p != nil {
			nv.DisplayName, nv.Value = deref(p.DisplayName), deref(p.Value)
			nv.Secret = p.Secret != nil && *p.Secret
			if kv := p.KeyVault; kv != nil {
				nv.KeyVault = &KeyVault{SecretID: deref(kv.SecretIdentifier)}
				if s := kv.LastStatus; s != nil {
					nv.KeyVault.LastCode, nv.KeyVault.LastMessage = deref(s.Code), deref(s.Message)
					if s.TimeStampUTC != nil {
						nv.KeyVault.LastRefresh = *s.TimeStampUTC
					}
				}
			}
		}
		if !nv.Secret && slices.ContainsFunc(sealedNames, func(n string) bool { return strings.EqualFold(n, nv.Name) }) {
			nv.sealed = &sealed{v: nv.Value} // a secret stored as a plain value is still a secret
		}
		if nv.Secret || nv.sealed != nil {
			nv.Value = "" // never keep a secret in a visible field
		}
		out = append(out, nv)
	}
	if !secrets {
		return out, nil
	}
	var wg sync.WaitGroup
	for i := range out {
		if !out[i].Secret {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			// The answer is the secret itself: the recorder keeps it out of -v and the trace.
			resp, err := client.ListValue(wire.SecretResponse(ctx), t.ResourceGroup, t.Service, out[i].Name, nil)
			if err != nil {
				out[i].SecretErr = classify("listValue "+out[i].Name, err)
				return
			}
			out[i].sealed = &sealed{v: deref(resp.Value)}
		}()
	}
	wg.Wait()
	return out, nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// IsNoAccess reports a read refused for want of a role.
func IsNoAccess(err error) bool { return KindOf(err) == KindNoAccess }

// listAll reads every page of a list and returns its entries; a list longer
// than maxPages pages (or a nextLink that loops) ends there with an error.
func listAll[P, T any](ctx context.Context, op string, pager *runtime.Pager[P], value func(P) []*T) ([]*T, error) {
	var out []*T
	for page := 0; pager.More(); page++ {
		if page == maxPages {
			return out, &Error{Op: op, Message: fmt.Sprintf("more than %d pages, or a nextLink that loops", maxPages)}
		}
		resp, err := pager.NextPage(ctx)
		if err != nil {
			return out, classify(op, err)
		}
		for _, v := range value(resp) {
			if v != nil {
				out = append(out, v)
			}
		}
	}
	return out, nil
}
