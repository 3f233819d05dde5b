package azure

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// maxBatch is Graph's limit of requests in one $batch.
const maxBatch = 20

type batchRequest struct {
	ID     string `json:"id"`
	Method string `json:"method"`
	URL    string `json:"url"`
}

type batchAnswer struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

func (a batchAnswer) header(name string) string {
	for k, v := range a.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// read is one GET of a batch, named for findings, and where its answer goes.
type read struct {
	name string
	path string // relative to /v1.0, e.g. /applications(appId='…')
	// decode takes a 200 answer's body; a collection's later pages come
	// through the same function.
	decode func(body []byte) (nextLink string, err error)
}

// batch sends the reads as one $batch (two if more than 20) and decodes
// each answer. Answers throttled inside the batch (429 or 503 with
// Retry-After) are sent once more after the wait, when the wait fits;
// collections are followed through @odata.nextLink. Per-read failures go to
// errs; the returned error is for the batch as a whole.
func (g *Graph) batch(ctx context.Context, reads []read, errs map[string]*GraphError, trips *int) error {
	pending := reads
	for attempt := 0; len(pending) > 0; attempt++ {
		var throttled []read
		var wait time.Duration
		for start := 0; start < len(pending); start += maxBatch {
			chunk := pending[start:min(start+maxBatch, len(pending))]
			answers, err := g.sendBatch(ctx, chunk, trips)
			if err != nil {
				return err
			}
			for i, r := range chunk {
				a, ok := answers[strconv.Itoa(i+1)]
				if !ok {
					errs[r.name] = &GraphError{Read: r.name, Message: "the $batch answer holds no response for this request"}
					continue
				}
				if a.Status == http.StatusOK {
					body, berr := answerBody(a)
					if berr != nil {
						errs[r.name] = &GraphError{Read: r.name, Status: a.Status, Message: berr.Error()}
						continue
					}
					if err := g.decodePages(ctx, r, body, errs, trips); err != nil {
						return err
					}
					continue
				}
				ge := errorFrom(r.name, a.Status, a.header, a.Body)
				if ge.Throttled() && attempt == 0 {
					throttled = append(throttled, r)
					wait = max(wait, ge.RetryAfter)
				}
				errs[r.name] = ge
			}
		}
		if len(throttled) == 0 || wait > g.maxRetryWait {
			return nil
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait+g.timeout {
			return nil // the run cannot afford the wait: the throttling is reported
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		for _, r := range throttled {
			delete(errs, r.name)
		}
		pending = throttled
	}
	return nil
}

// answerBody is an answer's JSON object; Graph base64-encodes non-JSON
// bodies into a string.
func answerBody(a batchAnswer) ([]byte, error) {
	body := []byte(strings.TrimSpace(string(a.Body)))
	if len(body) == 0 || body[0] != '{' {
		return nil, fmt.Errorf("answer is not a JSON object: %.60s", string(body))
	}
	return body, nil
}

// sendBatch posts one $batch and returns its answers by id.
func (g *Graph) sendBatch(ctx context.Context, chunk []read, trips *int) (map[string]batchAnswer, error) {
	var req struct {
		Requests []batchRequest `json:"requests"`
	}
	for i, r := range chunk {
		req.Requests = append(req.Requests, batchRequest{ID: strconv.Itoa(i + 1), Method: http.MethodGet, URL: r.path})
	}
	*trips++
	status, header, body, err := g.send(ctx, http.MethodPost, g.base.String()+"/v1.0/$batch", req)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, errorFrom("", status, header.Get, body)
	}
	var out struct {
		Responses []batchAnswer `json:"responses"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.Responses == nil {
		return nil, &GraphError{Status: status, Message: "the $batch answer is " + describeBody(header.Get("Content-Type"), body)}
	}
	answers := map[string]batchAnswer{}
	for _, a := range out.Responses {
		answers[a.ID] = a
	}
	return answers, nil
}

// decodePages decodes a first page and follows its @odata.nextLink, on
// Graph's own origin only, a bounded number of times, never twice to the
// same link.
func (g *Graph) decodePages(ctx context.Context, r read, body []byte, errs map[string]*GraphError, trips *int) error {
	seen := map[string]bool{}
	for page := 1; ; page++ {
		next, err := r.decode(body)
		if err != nil {
			errs[r.name] = &GraphError{Read: r.name, Message: err.Error()}
			return nil
		}
		if next == "" {
			return nil
		}
		switch {
		case seen[next]:
			errs[r.name] = &GraphError{Read: r.name, Message: fmt.Sprintf("@odata.nextLink loops back to a page already read (page %d)", page)}
			return nil
		case page >= g.maxPages:
			errs[r.name] = &GraphError{Read: r.name, Message: fmt.Sprintf("more than %d pages: stopped there", g.maxPages)}
			return nil
		case !g.sameOrigin(next):
			errs[r.name] = &GraphError{Read: r.name, Message: "@odata.nextLink points away from the Graph endpoint: not followed"}
			return nil
		}
		seen[next] = true
		*trips++
		status, header, data, err := g.send(ctx, http.MethodGet, next, nil)
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			errs[r.name] = errorFrom(r.name, status, header.Get, data)
			return nil
		}
		body = data
	}
}

func (g *Graph) sameOrigin(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && strings.EqualFold(u.Scheme, g.base.Scheme) && strings.EqualFold(u.Host, g.base.Host)
}

// decodeObject decodes a single object into v.
func decodeObject[T any](v **T) func([]byte) (string, error) {
	return func(body []byte) (string, error) {
		var out T
		if err := json.Unmarshal(body, &out); err != nil {
			return "", fmt.Errorf("answer is not the expected object: %v", err)
		}
		*v = &out
		return "", nil
	}
}

// decodeList appends a collection page's items to v.
func decodeList[T any](v *[]T) func([]byte) (string, error) {
	return func(body []byte) (string, error) {
		var page struct {
			Value    *[]T   `json:"value"`
			NextLink string `json:"@odata.nextLink"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return "", fmt.Errorf("answer is not the expected collection: %v", err)
		}
		if page.Value == nil {
			return "", fmt.Errorf("answer is not a collection: no value")
		}
		*v = append(*v, *page.Value...)
		return page.NextLink, nil
	}
}

// Query names what to read.
type Query struct {
	GatewayAppID, MCPAPIAppID string
	// UserOID, when known, is checked against app role assignments.
	UserOID string
}

const (
	appSelect = "id,appId,displayName,signInAudience,identifierUris,api,requiredResourceAccess,passwordCredentials,publicClient,web,spa,isFallbackPublicClient"
	spSelect  = "id,appId,displayName,appRoleAssignmentRequired,accountEnabled"
)

// ReadApps reads both app registrations, their service principals, the
// gateway's permission grants and, where a service principal requires
// assignment, who is assigned: two $batch round trips (more only to follow
// pages or retry throttled reads). The error is for a failure of the whole
// read (no token, no answer, a refused batch); what failed per read is in
// Apps.Errors.
func (g *Graph) ReadApps(ctx context.Context, q Query) (*Apps, error) {
	out := &Apps{UserOID: q.UserOID, Errors: map[string]*GraphError{}, Assigned: map[string][]AppRoleAssignment{}}
	first := []read{
		{ReadGatewayApp, "/applications(appId='" + url.PathEscape(q.GatewayAppID) + "')?$select=" + appSelect, decodeObject(&out.Gateway)},
		{ReadGatewaySP, "/servicePrincipals(appId='" + url.PathEscape(q.GatewayAppID) + "')?$select=" + spSelect, decodeObject(&out.GatewaySP)},
		{ReadGatewayFederated, "/applications(appId='" + url.PathEscape(q.GatewayAppID) + "')/federatedIdentityCredentials?$select=name,issuer,subject,audiences", decodeList(&out.GatewayFederated)},
	}
	if q.MCPAPIAppID != "" {
		first = append(first,
			read{ReadMCPAPIApp, "/applications(appId='" + url.PathEscape(q.MCPAPIAppID) + "')?$select=" + appSelect, decodeObject(&out.MCPAPI)},
			read{ReadMCPAPISP, "/servicePrincipals(appId='" + url.PathEscape(q.MCPAPIAppID) + "')?$select=" + spSelect, decodeObject(&out.MCPAPISP)})
	}
	if err := g.batch(ctx, first, out.Errors, &out.RoundTrips); err != nil {
		return out, err
	}
	// A missing object is a fact, not a failed read.
	for name, e := range out.Errors {
		if e.NotFound() {
			delete(out.Errors, name)
		}
	}
	var second []read
	if out.GatewaySP != nil {
		second = append(second, read{ReadGrants, "/oauth2PermissionGrants?$filter=" + url.QueryEscape("clientId eq '"+out.GatewaySP.ID+"'"), decodeList(&out.Grants)})
	}
	needGroups := false
	for _, sp := range []*ServicePrincipal{out.GatewaySP, out.MCPAPISP} {
		if sp == nil || !sp.AppRoleAssignmentRequired {
			continue
		}
		list := []AppRoleAssignment{}
		out.Assigned[sp.ID] = list
		id := sp.ID
		second = append(second, read{readAssignPrefix + sp.DisplayName, "/servicePrincipals/" + url.PathEscape(id) + "/appRoleAssignedTo?$select=principalId,principalType&$top=999",
			func(body []byte) (string, error) {
				l := out.Assigned[id]
				next, err := decodeList(&l)(body)
				out.Assigned[id] = l
				return next, err
			}})
		needGroups = true
	}
	if needGroups && q.UserOID != "" {
		second = append(second, read{ReadUserGroups, "/users/" + url.PathEscape(q.UserOID) + "/transitiveMemberOf?$select=id&$top=999", decodeGroupIDs(&out.UserGroups)})
	}
	if len(second) == 0 {
		return out, nil
	}
	if err := g.batch(ctx, second, out.Errors, &out.RoundTrips); err != nil {
		return out, err
	}
	for name := range out.Errors {
		if strings.HasPrefix(name, readAssignPrefix) {
			for _, sp := range []*ServicePrincipal{out.GatewaySP, out.MCPAPISP} {
				if sp != nil && name == readAssignPrefix+sp.DisplayName {
					delete(out.Assigned, sp.ID)
				}
			}
		}
	}
	return out, nil
}

func decodeGroupIDs(v *[]string) func([]byte) (string, error) {
	return func(body []byte) (string, error) {
		var objs []struct {
			ID string `json:"id"`
		}
		next, err := decodeList(&objs)(body)
		for _, o := range objs {
			*v = append(*v, o.ID)
		}
		return next, err
	}
}

// ErrorNames lists the reads that failed, sorted, for a finding.
func (a *Apps) ErrorNames() []string {
	var out []string
	for n := range a.Errors {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }
func lower(s string) string      { return strings.ToLower(s) }
