package lab

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// tenant is the fake Microsoft Entra tenant: OIDC discovery, JWKS, device
// code, the token endpoint (device code, refresh token, authorization code,
// on-behalf-of) and the sign-in pages, answering in Entra's exact shapes.
type tenant struct {
	w     *World
	key   *signingKey // signs every token; its kid is World.keyID
	spare *signingKey // published, never used
	mux   *http.ServeMux

	mu       sync.Mutex
	issued   []string // secrets handed out, for World.Secrets
	devices  map[string]*deviceGrant
	refresh  map[string]*refreshGrant
	codes    map[string]*codeGrant
	redeemed map[string]bool // authorization codes already used
}

// maxFormBytes bounds every request body the tenant reads.
const maxFormBytes = 64 << 10

func newTenant(w *World) (*tenant, error) {
	key, err := newSigningKey(w.signKey)
	if err != nil {
		return nil, err
	}
	spare, err := sparePublishedKey()
	if err != nil {
		return nil, fmt.Errorf("spare key: %w", err)
	}
	w.keyID = key.kid
	t := &tenant{
		w: w, key: key, spare: spare, mux: http.NewServeMux(),
		devices: map[string]*deviceGrant{}, refresh: map[string]*refreshGrant{},
		codes: map[string]*codeGrant{}, redeemed: map[string]bool{},
	}
	t.route("GET /{tenant}/v2.0/.well-known/openid-configuration", t.discoveryV2)
	t.route("GET /{tenant}/.well-known/openid-configuration", t.discoveryV1)
	t.route("GET /{tenant}/discovery/v2.0/keys", t.keys(true))
	t.route("GET /{tenant}/discovery/keys", t.keys(false))
	t.route("POST /{tenant}/oauth2/v2.0/devicecode", t.deviceCode)
	t.route("POST /{tenant}/oauth2/v2.0/token", t.token)
	t.route("GET /{tenant}/oauth2/v2.0/authorize", t.authorize)
	t.route("POST /{tenant}/oauth2/v2.0/authorize", t.authorize)
	t.route("GET /devicelogin", t.deviceLogin)
	t.route("POST /devicelogin", t.deviceLogin)
	t.route("GET /error", t.errorPage)
	return t, nil
}

func (t *tenant) ServeHTTP(rw http.ResponseWriter, r *http.Request) { t.mux.ServeHTTP(rw, r) }

// route registers a handler that returns an error: an *entraError is
// rendered as Entra's JSON, anything else as a 500.
func (t *tenant) route(pattern string, h func(http.ResponseWriter, *http.Request) error) {
	t.mux.HandleFunc(pattern, func(rw http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(rw, r.Body, maxFormBytes)
		rec := &statusRecorder{ResponseWriter: rw, status: http.StatusOK}
		err := h(rec, r)
		var ee *entraError
		switch {
		case err == nil:
		case rec.wrote:
			// The handler answered already (a sign-in page or a redirect
			// carrying the error); the error is only logged.
		case errors.As(err, &ee):
			t.writeError(rec, r, ee)
		default:
			http.Error(rec, "internal error", http.StatusInternalServerError)
		}
		line := fmt.Sprintf("tenant: %s %s %d", r.Method, r.URL.Path, rec.status)
		if g := r.PostFormValue("grant_type"); g != "" {
			line += " grant_type=" + g
		}
		if err != nil {
			line += " " + err.Error()
		}
		t.w.logf("%s", line)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// resolveTenant accepts the tenant's GUID or its domain, as Entra does.
func (t *tenant) resolveTenant(r *http.Request) error {
	seg := r.PathValue("tenant")
	if strings.EqualFold(seg, t.w.TenantID) || strings.EqualFold(seg, t.w.TenantDomain) {
		return nil
	}
	return errTenantNotFound(seg)
}

// writeJSON answers with Entra's headers: no caching, JSON in UTF-8.
func writeJSON(rw http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	h := rw.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store, no-cache")
	h.Set("Pragma", "no-cache")
	rw.WriteHeader(status)
	_, err = rw.Write(b)
	return err
}

// writeError renders e. The correlation id is the client's client-request-id
// when it sent a GUID (MSAL always does), as Entra echoes it.
func (t *tenant) writeError(rw http.ResponseWriter, r *http.Request, e *entraError) {
	traceID := newGUID()
	correlationID := r.Header.Get("client-request-id")
	if !isGUID(correlationID) {
		correlationID = newGUID()
	}
	rw.Header().Set("x-ms-request-id", traceID)
	_ = writeJSON(rw, e.status, e.body(t.w.AuthorityHost, traceID, correlationID, time.Now()))
}

// remember records a secret handed out, for World.Secrets.
func (t *tenant) remember(secret string) {
	t.mu.Lock()
	t.issued = append(t.issued, secret)
	t.mu.Unlock()
}

// openIDConfiguration is Entra's v2 discovery document, field for field
// (reference/entra/openid-configuration-v2.json), on the lab's host.
type openIDConfiguration struct {
	TokenEndpoint                     string   `json:"token_endpoint"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	JWKSURI                           string   `json:"jwks_uri"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	Issuer                            string   `json:"issuer"`
	RequestURIParameterSupported      bool     `json:"request_uri_parameter_supported"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	DeviceAuthorizationEndpoint       string   `json:"device_authorization_endpoint,omitempty"`
	HTTPLogoutSupported               bool     `json:"http_logout_supported"`
	FrontchannelLogoutSupported       bool     `json:"frontchannel_logout_supported"`
	EndSessionEndpoint                string   `json:"end_session_endpoint"`
	ClaimsSupported                   []string `json:"claims_supported"`
	KerberosEndpoint                  string   `json:"kerberos_endpoint"`
	TenantRegionScope                 string   `json:"tenant_region_scope"`
	CloudInstanceName                 string   `json:"cloud_instance_name"`
	CloudGraphHostName                string   `json:"cloud_graph_host_name"`
	MsgraphHost                       string   `json:"msgraph_host"`
	RbacURL                           string   `json:"rbac_url"`
}

// discovery builds the document. Entra names the tenant by GUID in every URL
// whichever form the request used; the v1 document differs in paths and
// issuer. Entra omits code_challenge_methods_supported although it does PKCE.
func (t *tenant) discovery(v2 bool) openIDConfiguration {
	base := t.w.AuthorityHost + "/" + t.w.TenantID
	oauth := base + "/oauth2"
	doc := openIDConfiguration{
		TokenEndpointAuthMethodsSupported: []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		ResponseModesSupported:            []string{"query", "fragment", "form_post"},
		SubjectTypesSupported:             []string{"pairwise"},
		IDTokenSigningAlgValuesSupported:  []string{"RS256"},
		ResponseTypesSupported:            []string{"code", "id_token", "code id_token", "id_token token"},
		ScopesSupported:                   []string{"openid", "profile", "email", "offline_access"},
		UserinfoEndpoint:                  "https://graph.microsoft.com/oidc/userinfo",
		HTTPLogoutSupported:               true,
		FrontchannelLogoutSupported:       true,
		ClaimsSupported: []string{"sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
			"msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver",
			"at_hash", "c_hash", "email"},
		KerberosEndpoint:   base + "/kerberos",
		TenantRegionScope:  "NA",
		CloudInstanceName:  "microsoftonline.com",
		CloudGraphHostName: "graph.windows.net",
		MsgraphHost:        "graph.microsoft.com",
		RbacURL:            "https://pas.windows.net",
	}
	if v2 {
		doc.TokenEndpoint = oauth + "/v2.0/token"
		doc.JWKSURI = base + "/discovery/v2.0/keys"
		doc.Issuer = t.w.Issuer()
		doc.AuthorizationEndpoint = oauth + "/v2.0/authorize"
		doc.DeviceAuthorizationEndpoint = oauth + "/v2.0/devicecode"
		doc.EndSessionEndpoint = oauth + "/v2.0/logout"
		return doc
	}
	doc.TokenEndpoint = oauth + "/token"
	doc.JWKSURI = t.w.AuthorityHost + "/common/discovery/keys"
	doc.Issuer = t.w.IssuerV1()
	doc.AuthorizationEndpoint = oauth + "/authorize"
	doc.DeviceAuthorizationEndpoint = oauth + "/devicecode"
	doc.EndSessionEndpoint = oauth + "/logout"
	return doc
}

func (t *tenant) discoveryV2(rw http.ResponseWriter, r *http.Request) error {
	if err := t.resolveTenant(r); err != nil {
		return err
	}
	return writeJSON(rw, http.StatusOK, t.discovery(true))
}

func (t *tenant) discoveryV1(rw http.ResponseWriter, r *http.Request) error {
	if err := t.resolveTenant(r); err != nil {
		return err
	}
	return writeJSON(rw, http.StatusOK, t.discovery(false))
}

// keys serves the JWKS: the signing key and a spare, with kid, x5t and x5c.
// v2 keys name their issuer, v1 keys do not. The v1 document points at
// /common/discovery/keys, so "common" is accepted here too.
func (t *tenant) keys(v2 bool) func(http.ResponseWriter, *http.Request) error {
	return func(rw http.ResponseWriter, r *http.Request) error {
		if r.PathValue("tenant") != "common" {
			if err := t.resolveTenant(r); err != nil {
				return err
			}
		}
		issuer := ""
		if v2 {
			issuer = t.w.Issuer()
		}
		return writeJSON(rw, http.StatusOK, map[string][]jwk{
			"keys": {t.key.jwk(issuer), t.spare.jwk(issuer)},
		})
	}
}

var errorPageTmpl = lazyTemplate("error", `<!DOCTYPE html>
<html><head><title>AADSTS{{.}} - Microsoft Entra (lab)</title></head>
<body><h1>Error AADSTS{{.}}</h1>
<p>This is the c7doctor lab's stand-in for login.microsoftonline.com/error. Look the code up in
Microsoft's list of AADSTS error codes.</p></body></html>
`)

// errorPage is where error_uri points.
func (t *tenant) errorPage(rw http.ResponseWriter, r *http.Request) error {
	code := r.URL.Query().Get("code")
	for _, c := range code {
		if c < '0' || c > '9' {
			code = ""
			break
		}
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	return errorPageTmpl().Execute(rw, code)
}
