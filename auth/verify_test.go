package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestVerify(t *testing.T) {
	jwks := jwksFor(t, "test-kid")
	good := mint(t, nil, v2Claims())
	parts := strings.Split(good, ".")
	other := v2Claims()
	other["aud"] = "someone-else"
	altered := parts[0] + "." + strings.Split(mint(t, nil, other), ".")[1] + "." + parts[2]

	cases := []struct {
		name  string
		token string
		jwks  []byte
		kind  VerifyErrorKind // "" = verifies
	}{
		{"good", good, jwks, ""},
		{"no kid uses every key", mint(t, map[string]any{"kid": nil}, v2Claims()), jwks, ""},
		{"altered claims", altered, jwks, VerifyBadSignature},
		{"unknown kid", mint(t, map[string]any{"kid": "rolled"}, v2Claims()), jwks, VerifyKeyNotFound},
		{"graph", mint(t, map[string]any{"nonce": "n"}, v2Claims()), jwks, VerifyGraph},
		{"hs256", seg(`{"alg":"HS256","kid":"test-kid"}`) + "." + parts[1] + "." + parts[2], jwks, VerifyAlgorithm},
		{"alg none", seg(`{"alg":"none"}`) + "." + parts[1] + ".", jwks, VerifyUnsigned},
		{"empty jwks", good, nil, VerifyNoKeys},
		{"no keys", good, []byte(`{"keys":[]}`), VerifyNoKeys},
		{"not json", good, []byte(`<html>`), VerifyNoKeys},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok, err := Decode(c.token)
			if err != nil {
				t.Fatal(err)
			}
			err = Verify(tok, c.jwks)
			if c.kind == "" {
				if err != nil {
					t.Fatalf("want verified, got %v", err)
				}
				return
			}
			var ve *VerifyError
			if !errors.As(err, &ve) || ve.Kind != c.kind {
				t.Fatalf("want %q, got %v", c.kind, err)
			}
			if strings.Contains(err.Error(), parts[2]) {
				t.Error("the error shows the signature")
			}
		})
	}
}
