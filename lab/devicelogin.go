package lab

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Device code lifetime and polling interval, as Entra answers them
// (reference/entra/devicecode-response.json).
const (
	deviceCodeLife     = 900 * time.Second
	deviceCodeInterval = 5
)

type deviceState int

const (
	devicePending deviceState = iota
	deviceApproved
	deviceDeclined
)

// deviceGrant is one device-code sign-in in progress.
type deviceGrant struct {
	deviceCode string
	userCode   string
	client     application
	scopes     scopeRequest
	expires    time.Time
	polls      int
	state      deviceState
	user       User
}

// deviceCodeResponse is Entra's answer, field order as recorded.
type deviceCodeResponse struct {
	UserCode        string `json:"user_code"`
	DeviceCode      string `json:"device_code"`
	VerificationURI string `json:"verification_uri"`
	ExpiresIn       int    `json:"expires_in"`
	Interval        int    `json:"interval"`
	Message         string `json:"message"`
}

// newUserCode is nine capital letters, the shape of Entra's user codes.
func newUserCode() string {
	const letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	b := make([]byte, 9)
	rand.Read(b)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return string(b)
}

// deviceCode starts a device-code sign-in: POST /{tenant}/oauth2/v2.0/devicecode.
func (t *tenant) deviceCode(rw http.ResponseWriter, r *http.Request) error {
	if err := t.resolveTenant(r); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errMalformedGrant()
	}
	clientID := r.PostForm.Get("client_id")
	if clientID == "" {
		return errMissingParameter("client_id")
	}
	client, ok := t.app(clientID)
	if !ok {
		return errUnknownClient(clientID)
	}
	if r.PostForm.Get("scope") == "" {
		return errMissingParameter("scope")
	}
	scopes, serr := t.parseScopes(r.PostForm.Get("scope"))
	if serr != nil {
		return serr
	}
	if scopes.hasResource && !scopes.resource.preAuthorizes(client) {
		return errClientNotAuthorized(client.appID, client.name, scopes.resourceForm, scopes.resource.appID)
	}
	g := &deviceGrant{
		deviceCode: "DAQABIQEAAAD--DLA3VO7QrddgJg7WevrAg" + randomString(180),
		userCode:   newUserCode(),
		client:     client,
		scopes:     scopes,
		expires:    time.Now().Add(deviceCodeLife),
	}
	t.mu.Lock()
	t.pruneExpired(time.Now())
	t.devices[g.deviceCode] = g
	t.issued = append(t.issued, g.deviceCode)
	t.mu.Unlock()
	verify := t.w.AuthorityHost + "/devicelogin"
	return writeJSON(rw, http.StatusOK, deviceCodeResponse{
		UserCode:        g.userCode,
		DeviceCode:      g.deviceCode,
		VerificationURI: verify,
		ExpiresIn:       int(deviceCodeLife.Seconds()),
		Interval:        deviceCodeInterval,
		Message:         fmt.Sprintf("To sign in, use a web browser to open the page %s and enter the code %s to authenticate.", verify, g.userCode),
	})
}

// pollDeviceCode answers a device_code grant: pending once, then approved as
// the lab's default user; with Options.Interactive, pending until a person
// enters the user code at /devicelogin. A grant is redeemed at most once.
func (t *tenant) pollDeviceCode(code, clientID string, now time.Time) (*deviceGrant, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	g := t.devices[code]
	if g == nil || !strings.EqualFold(g.client.appID, clientID) {
		return nil, errInvalidGrant()
	}
	if now.After(g.expires) {
		delete(t.devices, code)
		return nil, errDeviceCodeExpired()
	}
	if !g.client.public {
		return nil, errClientSecretMissing()
	}
	g.polls++
	if g.state == devicePending && g.polls > 1 {
		switch {
		case t.w.Has("device-code-declined"):
			g.state = deviceDeclined
		case !t.w.opts.Interactive:
			g.state, g.user = deviceApproved, DefaultUser
		}
	}
	switch g.state {
	case deviceDeclined:
		delete(t.devices, code)
		return nil, errAuthorizationDeclined()
	case deviceApproved:
		delete(t.devices, code)
		return g, nil
	}
	return nil, errAuthorizationPending()
}

// pruneExpired forgets device codes and authorization codes past their
// expiry a minute ago, so a long-running lab does not grow; the minute
// leaves late polls their expired_token answer. Called with t.mu held.
func (t *tenant) pruneExpired(now time.Time) {
	cutoff := now.Add(-time.Minute)
	for k, g := range t.devices {
		if g.expires.Before(cutoff) {
			delete(t.devices, k)
		}
	}
	for k, g := range t.codes {
		if g.expires.Before(cutoff) {
			delete(t.codes, k)
		}
	}
}

// deviceByUserCode finds a pending sign-in by the code a person typed,
// forgiving case, spaces and dashes as Entra's page does.
func (t *tenant) deviceByUserCode(typed string) *deviceGrant {
	typed = strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(typed))
	for _, g := range t.devices {
		if g.userCode == typed {
			return g
		}
	}
	return nil
}

var deviceLoginTmpl = lazyTemplate("devicelogin", `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Enter code - Contoso Lab (c7doctor lab)</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}
input{font-size:1.4rem;letter-spacing:.2rem;width:100%;padding:.4rem}button{font-size:1rem;padding:.5rem 1.2rem;margin:.8rem .5rem 0 0}
.err{color:#a80000}.note{color:#555;font-size:.9rem}</style></head>
<body>
{{if .Done}}
<h1>{{.Title}}</h1><p>{{.Message}}</p>
{{else}}
<h1>Enter code</h1>
<p>Enter the code displayed on your app or device to sign in to Contoso Lab as <b>{{.User.Name}}</b> ({{.User.Email}}).</p>
{{if .Error}}<p class="err">{{.Error}}</p>{{end}}
<form method="post" action="/devicelogin">
<input name="user_code" autocomplete="off" autofocus placeholder="Code" value="{{.Code}}">
<button name="action" value="continue" type="submit">Next</button>
<button name="action" value="cancel" type="submit">Cancel sign-in</button>
</form>
{{end}}
<p class="note">c7doctor lab: a stand-in for microsoft.com/devicelogin. Nothing here reaches Microsoft.</p>
</body></html>
`)

type deviceLoginPage struct {
	Done           bool
	Title, Message string
	Error, Code    string
	User           User
}

// deviceLogin is the page a person enters the user code on:
// GET /devicelogin shows the form, POST approves or cancels the sign-in.
func (t *tenant) deviceLogin(rw http.ResponseWriter, r *http.Request) error {
	page := deviceLoginPage{User: DefaultUser}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			return errMalformedGrant()
		}
		page.Code = r.PostForm.Get("user_code")
		t.mu.Lock()
		g := t.deviceByUserCode(page.Code)
		switch {
		case g == nil || g.state != devicePending:
			page.Error = "That code didn't work. Check the code and try again."
			status = http.StatusBadRequest
		case time.Now().After(g.expires):
			page.Error = "That code has expired. Go back to your app or device to get a new one."
			status = http.StatusBadRequest
		case r.PostForm.Get("action") == "cancel":
			g.state = deviceDeclined
			page.Done, page.Title = true, "Sign-in canceled"
			page.Message = fmt.Sprintf("You have declined to sign in to the %s application on your device. You may now close this window.", g.client.name)
		default:
			g.state, g.user = deviceApproved, DefaultUser
			page.Done, page.Title = true, g.client.name
			page.Message = fmt.Sprintf("%s, you have signed in to the %s application on your device. You may now close this window.", DefaultUser.Name, g.client.name)
		}
		t.mu.Unlock()
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.Header().Set("Cache-Control", "no-store, no-cache")
	rw.WriteHeader(status)
	return deviceLoginTmpl().Execute(rw, page)
}
