package auth

import (
	"strings"
	"testing"
)

// FuzzDecode feeds the decoder what people paste. Seeds are in
// testdata/fuzz/FuzzDecode; f.Add adds a few built at run time.
func FuzzDecode(f *testing.F) {
	f.Add(mint(f, nil, v2Claims()))
	f.Add("Bearer " + mint(f, map[string]any{"nonce": "x"}, v2Claims()))
	f.Add(`{"accessToken":"` + mint(f, nil, map[string]any{"exp": "soon", "aud": 7}) + `"}`)
	f.Fuzz(func(t *testing.T, in string) {
		tok, form, err := DecodeInput(in)
		if err != nil {
			if tok != nil {
				t.Fatal("a token and an error")
			}
			var de *DecodeError
			if e, ok := err.(*DecodeError); ok {
				de = e
			}
			if de == nil || de.Explain() == "" {
				t.Fatalf("error without explanation: %v", err)
			}
			return
		}
		if form == "" || tok.Kind == "" {
			t.Fatalf("form %q kind %q", form, tok.Kind)
		}
		if u := tok.Unsigned(); !strings.HasSuffix(u, ".") || strings.Count(u, ".") != 2 {
			t.Fatalf("Unsigned() = %q", u)
		}
		_ = tok.Describe()
		_ = tok.ClaimNames()
		_ = tok.AppOnly()
		for _, d := range []*NumericDate{tok.Claims.Iat, tok.Claims.Nbf, tok.Claims.Exp} {
			if d != nil {
				_ = d.Time.Format("2006-01-02T15:04:05Z07:00")
			}
		}
	})
}
