package azure

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
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
	// slots bound the reader's ARM requests in flight at once.
	slots chan struct{}
}

// NewReader returns a reader; the credential is built by the caller
// (DefaultCredential for a real run, SecretCredential for the lab).
func NewReader(cred azcore.TokenCredential, o Options) *Reader {
	return &Reader{cred: cred, opts: o, slots: make(chan struct{}, maxInFlight)}
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
	// APIPaths are the paths of the APIs whose policies and diagnostics
	// are read: the MCP API's and "" for the OAuth proxy at the host root.
	// Nil reads every API's.
	APIPaths []string
}

// wants reports whether the API's policies and diagnostics are read.
func (o ReadOptions) wants(api API) bool {
	if o.APIPaths == nil {
		return true
	}
	return slices.ContainsFunc(o.APIPaths, func(p string) bool {
		return strings.EqualFold(strings.Trim(p, "/"), strings.Trim(api.Path, "/"))
	})
}

// Bounds of a read: pages per list (a nextLink that loops ends earlier)
// and requests in flight at once. A read is a few rounds deep (list APIs;
// per API its operations, policy, products and diagnostics; then the
// operations' and products' policies; then fragments), so the bound is
// what keeps a round from being split in two.
const (
	maxPages    = 20
	maxInFlight = 8
)

// ReadAPIM locates the instance (inferring the subscription and resource
// group when missing) and reads the service, its APIs with their
// operations, its named values, and the policies and diagnostics of the
// APIs o names, concurrently. The error is for the instance as a whole
// (not found, no access, no credential); parts fail on their own.
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
	rd := newRead(ctx, r, f, out, o)
	var serviceErr error
	rd.wg.Go(func() { out.Service, serviceErr = r.service(ctx, f, out.Target) })
	rd.wg.Go(func() {
		out.NamedValues, out.NamedValuesErr = r.namedValues(ctx, f, out.Target, o.Secrets, o.Sealed)
	})
	rd.wg.Go(rd.globalPolicy)
	rd.wg.Go(rd.serviceDiagnostics)
	rd.wg.Go(func() { out.APIs, out.APIsErr = r.apis(ctx, f, out.Target, rd.api, rd.operationPolicies) })
	rd.wg.Wait()
	rd.finish()
	return out, serviceErr
}

func (r *Reader) factory(subscription string) (*armapimanagement.ClientFactory, error) {
	f, err := armapimanagement.NewClientFactory(subscription, r.cred, r.opts.armOptions(r.slots))
	if err != nil {
		return nil, &Error{Op: "ARM client", Message: err.Error(), Err: err}
	}
	return f, nil
}

// onlySubscription is the credential's one subscription.
func (r *Reader) onlySubscription(ctx context.Context) (string, error) {
	const op = "list subscriptions"
	c, err := arm.NewClient("c7doctor", "v1.0.0", r.cred, r.opts.armOptions(r.slots))
	if err != nil {
		return "", &Error{Op: op, Message: err.Error(), Err: err}
	}
	next := strings.TrimRight(r.opts.Cloud.ARMEndpoint, "/") + "/subscriptions?api-version=2022-12-01"
	var subs []string
	seen := map[string]bool{next: true}
	for page := 0; next != ""; page++ {
		if page == maxPages {
			return "", &Error{Op: op, Message: fmt.Sprintf("more than %d pages", maxPages)}
		}
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
		if err := checkNextLink(r.Endpoint(), body.NextLink, seen); err != nil {
			return "", &Error{Op: op, Message: err.Error()}
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
	items, err := listAll(ctx, r.Endpoint(), op, pager, func(p armapimanagement.ServiceClientListResponse) ([]*armapimanagement.ServiceResource, *string) {
		return p.Value, p.NextLink
	})
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
	if id := resp.Identity; id != nil {
		if id.Type != nil {
			s.Identity.Type = string(*id.Type)
		}
		s.Identity.PrincipalID, s.Identity.TenantID = deref(id.PrincipalID), deref(id.TenantID)
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

// apis lists the APIs and reads their operations. Each API goes to listed
// as soon as it is listed and to withOperations once its operations are
// read: both may start more reads, which the caller waits for.
func (r *Reader) apis(ctx context.Context, f *armapimanagement.ClientFactory, t Target, listed, withOperations func(API)) ([]API, error) {
	const op = "list APIs"
	var out []API
	pager := f.NewAPIClient().NewListByServicePager(t.ResourceGroup, t.Service, nil)
	items, err := listAll(ctx, r.Endpoint(), op, pager, func(p armapimanagement.APIClientListByServiceResponse) ([]*armapimanagement.APIContract, *string) {
		return p.Value, p.NextLink
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
		wg.Go(func() {
			if listed != nil {
				listed(out[i])
			}
			out[i].Operations, out[i].OperationsErr = r.operations(ctx, f, t, out[i].Name)
			if withOperations != nil && out[i].OperationsErr == nil {
				withOperations(out[i])
			}
		})
	}
	wg.Wait()
	return out, nil
}

func (r *Reader) operations(ctx context.Context, f *armapimanagement.ClientFactory, t Target, api string) ([]Operation, error) {
	op := "list operations of " + api
	var out []Operation
	pager := f.NewAPIOperationClient().NewListByAPIPager(t.ResourceGroup, t.Service, api, nil)
	items, err := listAll(ctx, r.Endpoint(), op, pager, func(p armapimanagement.APIOperationClientListByAPIResponse) ([]*armapimanagement.OperationContract, *string) {
		return p.Value, p.NextLink
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

func (r *Reader) namedValues(ctx context.Context, f *armapimanagement.ClientFactory, t Target, secrets bool, sealedNames []string) ([]NamedValue, error) {
	const op = "list named values"
	client := f.NewNamedValueClient()
	var out []NamedValue
	pager := client.NewListByServicePager(t.ResourceGroup, t.Service, nil)
	items, err := listAll(ctx, r.Endpoint(), op, pager, func(p armapimanagement.NamedValueClientListByServiceResponse) ([]*armapimanagement.NamedValueContract, *string) {
		return p.Value, p.NextLink
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
		wg.Go(func() {
			// The answer is the secret itself: the recorder keeps it out of -v and the trace.
			resp, err := client.ListValue(wire.SecretResponse(ctx), t.ResourceGroup, t.Service, out[i].Name, nil)
			if err != nil {
				out[i].SecretErr = classify("listValue "+out[i].Name, err)
				return
			}
			out[i].sealed = &sealed{v: deref(resp.Value)}
		})
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

// listAll reads every page of a list and returns its entries. A nextLink
// that repeats, that leaves ARM's origin (it is not followed: the answer
// would not be ARM's) or a list longer than maxPages ends it with an error.
func listAll[P, T any](ctx context.Context, origin, op string, pager *runtime.Pager[P], page func(P) ([]*T, *string)) ([]*T, error) {
	var out []*T
	seen := map[string]bool{}
	for n := 0; pager.More(); n++ {
		if n == maxPages {
			return out, &Error{Op: op, Message: fmt.Sprintf("more than %d pages", maxPages)}
		}
		resp, err := pager.NextPage(ctx)
		if err != nil {
			return out, classify(op, err)
		}
		values, next := page(resp)
		for _, v := range values {
			if v != nil {
				out = append(out, v)
			}
		}
		if err := checkNextLink(origin, deref(next), seen); err != nil {
			return out, &Error{Op: op, Message: err.Error()}
		}
	}
	return out, nil
}

// checkNextLink refuses a nextLink seen before (a loop) or on another origin.
func checkNextLink(origin, next string, seen map[string]bool) error {
	if next == "" {
		return nil
	}
	if seen[next] {
		return errors.New("the nextLink loops back to a page already read")
	}
	seen[next] = true
	u, err := url.Parse(next)
	if err != nil || !wire.SameOrigin(u, origin) {
		return fmt.Errorf("the nextLink points away from %s (%s): not followed", wire.Origin(origin), wire.Origin(next))
	}
	return nil
}
