package wire

import (
	"reflect"
	"strings"
	"testing"
)

// FuzzParseWWWAuthenticate feeds the parser arbitrary header values: it must
// not panic, must respect its bounds, and whatever it reads must render to a
// header that parses back to the same challenge without complaint.
func FuzzParseWWWAuthenticate(f *testing.F) {
	f.Add(`Bearer resource_metadata="https://apim.example.net/.well-known/oauth-protected-resource"`, "")
	f.Add(`Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple"`, `Bearer error="invalid_token"`)
	f.Add(`Negotiate YIIB+w/AB==, Bearer`, "")
	f.Add(`Bearer a="x\`, `Basic realm="r"`)
	f.Fuzz(func(t *testing.T, a, b string) {
		got, _ := ParseWWWAuthenticate([]string{a, b})
		if len(got) > MaxChallenges {
			t.Fatalf("%d challenges, more than the bound", len(got))
		}
		for _, c := range got {
			if c.Scheme == "" {
				t.Fatalf("a challenge without a scheme: %#v", c)
			}
			if len(c.Params) > MaxAuthParams {
				t.Fatalf("%d params, more than the bound", len(c.Params))
			}
			if c.Token68 != "" && len(c.Params) > 0 {
				t.Fatalf("token68 and params together: %#v", c)
			}
			for _, p := range c.Params {
				if p.Name != strings.ToLower(p.Name) {
					t.Fatalf("param name not lower-cased: %q", p.Name)
				}
			}
			again, err := ParseWWWAuthenticate([]string{c.String()})
			if err != nil || len(again) != 1 || !reflect.DeepEqual(again[0], c) {
				t.Fatalf("round trip of %#v via %q: %#v, %v", c, c.String(), again, err)
			}
		}
	})
}
