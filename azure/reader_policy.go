package azure

import (
	"cmp"
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/apimanagement/armapimanagement/v3"
)

// apimRead is one ReadAPIM's policies and diagnostics: reads start as soon
// as what they depend on has arrived (a fragment as soon as a document
// includes it), and ReadAPIM waits for all of them on wg.
type apimRead struct {
	ctx context.Context
	r   *Reader
	f   *armapimanagement.ClientFactory
	t   Target
	out *APIM
	o   ReadOptions
	wg  sync.WaitGroup

	mu        sync.Mutex
	fragments map[string]bool // fragment ids asked for
	products  map[string]bool // product ids whose policy is asked for
}

func newRead(ctx context.Context, r *Reader, f *armapimanagement.ClientFactory, out *APIM, o ReadOptions) *apimRead {
	return &apimRead{ctx: ctx, r: r, f: f, t: out.Target, out: out, o: o, fragments: map[string]bool{}, products: map[string]bool{}}
}

var (
	xmlFormat         = to.Ptr(armapimanagement.PolicyExportFormatXML)
	xmlFragmentFormat = to.Ptr(armapimanagement.PolicyFragmentContentFormatXML)
)

func (rd *apimRead) globalPolicy() {
	rd.policy(PolicyDoc{Scope: PolicyGlobal}, func(ctx context.Context) (*armapimanagement.PolicyContractProperties, error) {
		resp, err := rd.f.NewPolicyClient().Get(ctx, rd.t.ResourceGroup, rd.t.Service, armapimanagement.PolicyIDNamePolicy, &armapimanagement.PolicyClientGetOptions{Format: xmlFormat})
		return resp.Properties, err
	})
}

// api starts the reads of one listed API: its policy, its products (then
// their policies) and its diagnostics.
func (rd *apimRead) api(api API) {
	if !rd.wanted(api) {
		return
	}
	rd.wg.Go(func() {
		rd.policy(PolicyDoc{Scope: PolicyAPI, API: api.Name}, func(ctx context.Context) (*armapimanagement.PolicyContractProperties, error) {
			resp, err := rd.f.NewAPIPolicyClient().Get(ctx, rd.t.ResourceGroup, rd.t.Service, api.Name, armapimanagement.PolicyIDNamePolicy, &armapimanagement.APIPolicyClientGetOptions{Format: xmlFormat})
			return resp.Properties, err
		})
	})
	rd.wg.Go(func() { rd.productsOf(api.Name) })
	rd.wg.Go(func() { rd.apiDiagnostics(api.Name) })
}

// operationPolicies starts the reads of an API's operations' policies.
func (rd *apimRead) operationPolicies(api API) {
	if !rd.wanted(api) {
		return
	}
	for _, op := range api.Operations {
		rd.wg.Go(func() {
			rd.policy(PolicyDoc{Scope: PolicyOperation, API: api.Name, Operation: op.Name}, func(ctx context.Context) (*armapimanagement.PolicyContractProperties, error) {
				resp, err := rd.f.NewAPIOperationPolicyClient().Get(ctx, rd.t.ResourceGroup, rd.t.Service, api.Name, op.Name, armapimanagement.PolicyIDNamePolicy, &armapimanagement.APIOperationPolicyClientGetOptions{Format: xmlFormat})
				return resp.Properties, err
			})
		})
	}
}

// wanted reports whether the API's policies and diagnostics are read: one
// the options name, and its current revision only (the one that serves).
func (rd *apimRead) wanted(api API) bool {
	return api.IsCurrent && rd.o.wants(api)
}

func (rd *apimRead) productsOf(api string) {
	op := "list products of " + api
	pager := rd.f.NewAPIProductClient().NewListByApisPager(rd.t.ResourceGroup, rd.t.Service, api, nil)
	items, err := listAll(rd.ctx, rd.r.Endpoint(), op, pager, func(p armapimanagement.APIProductClientListByApisResponse) ([]*armapimanagement.ProductContract, *string) {
		return p.Value, p.NextLink
	})
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if err != nil {
		rd.out.Policies.Errs = append(rd.out.Policies.Errs, err)
	}
	for _, p := range items {
		id := deref(p.Name)
		if id == "" {
			continue
		}
		if rd.out.Policies.ProductAPIs == nil {
			rd.out.Policies.ProductAPIs = map[string][]string{}
		}
		rd.out.Policies.ProductAPIs[id] = append(rd.out.Policies.ProductAPIs[id], api)
		if rd.products[id] {
			continue
		}
		rd.products[id] = true
		rd.wg.Go(func() {
			rd.policy(PolicyDoc{Scope: PolicyProduct, Product: id}, func(ctx context.Context) (*armapimanagement.PolicyContractProperties, error) {
				resp, err := rd.f.NewProductPolicyClient().Get(ctx, rd.t.ResourceGroup, rd.t.Service, id, armapimanagement.PolicyIDNamePolicy, &armapimanagement.ProductPolicyClientGetOptions{Format: xmlFormat})
				return resp.Properties, err
			})
		})
	}
}

// fragment starts the read of a fragment a document includes, once.
func (rd *apimRead) fragment(id string) {
	rd.mu.Lock()
	asked := rd.fragments[id]
	rd.fragments[id] = true
	rd.mu.Unlock()
	if asked {
		return
	}
	rd.wg.Go(func() {
		d := PolicyDoc{Scope: PolicyFragment, Fragment: id}
		resp, err := rd.f.NewPolicyFragmentClient().Get(rd.ctx, rd.t.ResourceGroup, rd.t.Service, id, &armapimanagement.PolicyFragmentClientGetOptions{Format: xmlFragmentFormat})
		var value *string
		if resp.Properties != nil {
			value = resp.Properties.Value
		}
		rd.document(d, value, err)
	})
}

// policy reads one policy document.
func (rd *apimRead) policy(d PolicyDoc, get func(context.Context) (*armapimanagement.PolicyContractProperties, error)) {
	p, err := get(rd.ctx)
	var value *string
	if p != nil {
		value = p.Value
	}
	rd.document(d, value, err)
}

// document keeps a document read (a 404 is a scope without one) and starts
// the reads of the fragments it includes.
func (rd *apimRead) document(d PolicyDoc, value *string, err error) {
	op := "GET policy of " + d.Where()
	if err != nil {
		e := classify(op, err)
		if e.Status == http.StatusNotFound {
			return
		}
		rd.policyErr(e)
		return
	}
	if value == nil {
		rd.policyErr(&Error{Op: op, Message: "the answer holds no policy document (properties.value)"})
		return
	}
	d.XML = strings.TrimPrefix(*value, "\ufeff")
	rd.mu.Lock()
	rd.out.Policies.Docs = append(rd.out.Policies.Docs, d)
	rd.mu.Unlock()
	for _, id := range includedFragments(d.XML) {
		rd.fragment(id)
	}
}

func (rd *apimRead) policyErr(err error) {
	rd.mu.Lock()
	rd.out.Policies.Errs = append(rd.out.Policies.Errs, err)
	rd.mu.Unlock()
}

// maxIncludes bounds the fragments one document may make the read fetch.
const maxIncludes = 32

// includedFragments are the fragment ids of a document's
// <include-fragment fragment-id="…"/> elements, in order, each once. An
// invalid document yields those before the point where it stops parsing:
// the document itself is kept as it is, for the linter to report.
func includedFragments(doc string) []string {
	var ids []string
	dec := xml.NewDecoder(strings.NewReader(doc))
	dec.Strict = false
	for len(ids) < maxIncludes {
		tok, err := dec.RawToken()
		if err == io.EOF || err != nil {
			break
		}
		el, ok := tok.(xml.StartElement)
		if !ok || !strings.EqualFold(el.Name.Local, "include-fragment") {
			continue
		}
		for _, a := range el.Attr {
			if strings.EqualFold(a.Name.Local, "fragment-id") && a.Value != "" && !slices.Contains(ids, a.Value) {
				ids = append(ids, a.Value)
			}
		}
	}
	return ids
}

func (rd *apimRead) serviceDiagnostics() {
	pager := rd.f.NewDiagnosticClient().NewListByServicePager(rd.t.ResourceGroup, rd.t.Service, nil)
	items, err := listAll(rd.ctx, rd.r.Endpoint(), "list diagnostics", pager, func(p armapimanagement.DiagnosticClientListByServiceResponse) ([]*armapimanagement.DiagnosticContract, *string) {
		return p.Value, p.NextLink
	})
	rd.diagnostics(DiagnosticService, "", items, err)
}

func (rd *apimRead) apiDiagnostics(api string) {
	pager := rd.f.NewAPIDiagnosticClient().NewListByServicePager(rd.t.ResourceGroup, rd.t.Service, api, nil)
	items, err := listAll(rd.ctx, rd.r.Endpoint(), "list diagnostics of "+api, pager, func(p armapimanagement.APIDiagnosticClientListByServiceResponse) ([]*armapimanagement.DiagnosticContract, *string) {
		return p.Value, p.NextLink
	})
	rd.diagnostics(DiagnosticAPI, api, items, err)
}

func (rd *apimRead) diagnostics(scope DiagnosticScope, api string, items []*armapimanagement.DiagnosticContract, err error) {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if err != nil {
		rd.out.Diagnostics.Errs = append(rd.out.Diagnostics.Errs, err)
	}
	for _, c := range items {
		rd.out.Diagnostics.Settings = append(rd.out.Diagnostics.Settings, diagnostic(scope, api, c))
	}
}

func diagnostic(scope DiagnosticScope, api string, c *armapimanagement.DiagnosticContract) Diagnostic {
	d := Diagnostic{Scope: scope, API: api, Name: deref(c.Name)}
	p := c.Properties
	if p == nil {
		return d
	}
	d.LoggerID = deref(p.LoggerID)
	if p.Verbosity != nil {
		d.Verbosity = string(*p.Verbosity)
	}
	if p.Sampling != nil && p.Sampling.Percentage != nil {
		d.SamplingPercent = *p.Sampling.Percentage
	}
	d.FrontendRequestBodyBytes, d.FrontendResponseBodyBytes = bodyBytes(p.Frontend)
	d.BackendRequestBodyBytes, d.BackendResponseBodyBytes = bodyBytes(p.Backend)
	return d
}

// bodyBytes are a pipeline's request and response body bytes (0 unset).
func bodyBytes(s *armapimanagement.PipelineDiagnosticSettings) (request, response int32) {
	if s == nil {
		return 0, 0
	}
	get := func(m *armapimanagement.HTTPMessageDiagnostic) int32 {
		if m == nil || m.Body == nil || m.Body.Bytes == nil {
			return 0
		}
		return *m.Body.Bytes
	}
	return get(s.Request), get(s.Response)
}

// finish puts what arrived in any order into a stable one.
func (rd *apimRead) finish() {
	p := &rd.out.Policies
	order := map[PolicyScope]int{PolicyGlobal: 0, PolicyProduct: 1, PolicyAPI: 2, PolicyOperation: 3, PolicyFragment: 4}
	slices.SortFunc(p.Docs, func(a, b PolicyDoc) int {
		return cmp.Or(cmp.Compare(order[a.Scope], order[b.Scope]), cmp.Compare(a.Product, b.Product),
			cmp.Compare(a.API, b.API), cmp.Compare(a.Operation, b.Operation), cmp.Compare(a.Fragment, b.Fragment))
	})
	for id := range p.ProductAPIs {
		slices.Sort(p.ProductAPIs[id])
	}
	d := &rd.out.Diagnostics
	slices.SortFunc(d.Settings, func(a, b Diagnostic) int {
		return cmp.Or(cmp.Compare(a.Scope, b.Scope), cmp.Compare(a.API, b.API), cmp.Compare(a.Name, b.Name))
	})
	byText := func(a, b error) int { return cmp.Compare(a.Error(), b.Error()) }
	slices.SortFunc(p.Errs, byText)
	slices.SortFunc(d.Errs, byText)
}
