package lab

import (
	"context"
	"crypto/tls"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// browserHops bounds the redirects the lab's browser follows.
const browserHops = 10

// Browser is the person at a browser that the lab puts in front of its
// sign-in page: it opens a URL, follows redirects, accepts the sign-in form
// as the lab's default user, and lands on wherever Entra sends it back (the
// client's loopback listener). It carries no cookies, as a fresh private
// window would not. It returns once the browser has landed, or with what
// it saw when the sign-in went nowhere (an error page): a person who sees
// that stops, and so does it.
func (w *World) Browser(ctx context.Context, rawURL string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	client := &http.Client{
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: w.CertPool}},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	defer client.CloseIdleConnections()
	method, target, form := http.MethodGet, rawURL, url.Values(nil)
	for range browserHops {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, err := http.NewRequestWithContext(ctx, method, target, body)
		if err != nil {
			return fmt.Errorf("lab browser: %w", err)
		}
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.Header.Set("Accept", "text/html")
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("lab browser: %w", err)
		}
		page, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if resp.StatusCode >= 300 && resp.StatusCode < 400 {
			loc, err := resp.Location()
			if err != nil {
				return fmt.Errorf("lab browser: %s answered %d without a usable Location", target, resp.StatusCode)
			}
			method, target, form = http.MethodGet, loc.String(), nil
			continue
		}
		if !w.ownsURL(target) {
			return nil // landed on the client's page
		}
		if fields, ok := signInForm(page); ok && resp.StatusCode == http.StatusOK {
			fields.Set("action", "accept")
			u, _ := url.Parse(target)
			u.RawQuery = ""
			method, target, form = http.MethodPost, u.String(), fields
			continue
		}
		return fmt.Errorf("lab browser: %s shows %s", target, pageMessage(page, resp.StatusCode))
	}
	return fmt.Errorf("lab browser: more than %d redirects", browserHops)
}

// ownsURL reports whether a URL is on one of the lab's own servers.
func (w *World) ownsURL(raw string) bool {
	for _, base := range []string{w.AuthorityHost, w.GatewayURL, w.Context7URL} {
		if raw == base || strings.HasPrefix(raw, base+"/") || strings.HasPrefix(raw, base+"?") {
			return true
		}
	}
	return false
}

var (
	signInFormRE = lazyRegexp(`(?s)<form method="post" id="signin">(.*?)</form>`)
	hiddenRE     = lazyRegexp(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
	aadstsRE     = lazyRegexp(`AADSTS\d+: [^<]*`)
)

// signInForm reads the hidden fields of the lab's sign-in form.
func signInForm(page []byte) (url.Values, bool) {
	m := signInFormRE().FindSubmatch(page)
	if m == nil {
		return nil, false
	}
	fields := url.Values{}
	for _, f := range hiddenRE().FindAllSubmatch(m[1], -1) {
		fields.Set(html.UnescapeString(string(f[1])), html.UnescapeString(string(f[2])))
	}
	return fields, true
}

func pageMessage(page []byte, status int) string {
	if m := aadstsRE().Find(page); m != nil {
		return html.UnescapeString(string(m))
	}
	return fmt.Sprintf("HTTP %d", status)
}
