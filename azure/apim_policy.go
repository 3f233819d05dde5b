package azure

import "strings"

// PolicyScope is where a policy document applies; the values are the
// policy package's scope names, so a document maps onto a lint input as is.
type PolicyScope string

const (
	PolicyGlobal    PolicyScope = "global"
	PolicyProduct   PolicyScope = "product"
	PolicyAPI       PolicyScope = "api"
	PolicyOperation PolicyScope = "operation"
	PolicyFragment  PolicyScope = "fragment"
)

// PolicyDoc is one policy document as ARM returns it with format=xml
// (expressions escaped, so an XML parser reads it; rawxml would not parse).
type PolicyDoc struct {
	Scope     PolicyScope
	API       string // api and operation scope: the API id
	Operation string // operation scope: the operation id
	Product   string // product scope: the product id
	Fragment  string // fragment scope: the fragment id
	// XML is the document, a leading byte-order mark removed.
	XML string
}

// Where names the document the way a finding cites it: "global",
// "api context7-mcp", "operation oauth-proxy/authorize", "product starter",
// "fragment obo-exchange".
func (d PolicyDoc) Where() string {
	switch d.Scope {
	case PolicyAPI:
		return "api " + d.API
	case PolicyOperation:
		return "operation " + d.API + "/" + d.Operation
	case PolicyProduct:
		return "product " + d.Product
	case PolicyFragment:
		return "fragment " + d.Fragment
	}
	return string(d.Scope)
}

// Policies is every policy document of the instance that applies to the
// guide's APIs: the global one, the products holding those APIs, the APIs,
// their operations, and the fragments any of them includes. A scope that
// holds no policy has no document; a read that failed is in Errs and the
// rest is still judged.
type Policies struct {
	Docs []PolicyDoc
	// ProductAPIs lists each product's API ids (products of the guide's APIs only).
	ProductAPIs map[string][]string
	Errs        []error
}

// Doc returns the document at a place, if the instance holds one.
func (p Policies) Doc(scope PolicyScope, api, operation string) (PolicyDoc, bool) {
	for _, d := range p.Docs {
		if d.Scope == scope && strings.EqualFold(d.API, api) && strings.EqualFold(d.Operation, operation) {
			return d, true
		}
	}
	return PolicyDoc{}, false
}

// DiagnosticScope is the level a diagnostic is set at.
type DiagnosticScope string

const (
	DiagnosticService DiagnosticScope = "service"
	DiagnosticAPI     DiagnosticScope = "api"
)

// Diagnostic is one diagnostic setting (applicationinsights, azuremonitor):
// which logger it feeds and how many bytes of each body it logs. An
// API-level diagnostic overrides the service-level one of the same name
// for that API.
type Diagnostic struct {
	Scope    DiagnosticScope
	API      string // api scope: the API id
	Name     string // the diagnostic id: applicationinsights, azuremonitor
	LoggerID string // the logger's resource id (or its name)
	// Body bytes logged; a response body logged above 0 makes APIM buffer
	// the response, which cuts a streamed (SSE) answer.
	FrontendRequestBodyBytes, FrontendResponseBodyBytes int32
	BackendRequestBodyBytes, BackendResponseBodyBytes   int32
	Verbosity                                           string
	SamplingPercent                                     float64
}

// BuffersResponses reports a diagnostic that logs response bodies.
func (d Diagnostic) BuffersResponses() bool {
	return d.FrontendResponseBodyBytes > 0 || d.BackendResponseBodyBytes > 0
}

// Diagnostics are the instance's diagnostics at service level and at the
// level of each of the guide's APIs.
type Diagnostics struct {
	Settings []Diagnostic
	Errs     []error
}

// Effective is what applies to the API: per diagnostic name, the
// API-level setting where there is one, else the service-level one.
func (d Diagnostics) Effective(api string) []Diagnostic {
	var out []Diagnostic
	for _, s := range d.Settings {
		if s.Scope == DiagnosticAPI && strings.EqualFold(s.API, api) {
			out = append(out, s)
		}
	}
	for _, s := range d.Settings {
		if s.Scope != DiagnosticService {
			continue
		}
		overridden := false
		for _, o := range out {
			if strings.EqualFold(o.Name, s.Name) {
				overridden = true
			}
		}
		if !overridden {
			out = append(out, s)
		}
	}
	return out
}
