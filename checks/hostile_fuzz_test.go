package checks

import (
	"testing"
)

// FuzzTenantKeys feeds the tenant's key-set reader what a hostile authority
// host may serve in place of a JWKS. Seeds are in testdata/fuzz/FuzzTenantKeys.
func FuzzTenantKeys(f *testing.F) {
	f.Add([]byte(`{"keys":[{"kty":"RSA","use":"sig","kid":"k","n":"AQAB","e":"AQAB"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		usable, total, kids, err := usableRS256Keys(body)
		if err != nil {
			if usable != 0 || total != 0 || kids != nil {
				t.Fatalf("an error with results: %d %d %v", usable, total, kids)
			}
			if err.Error() == "" {
				t.Fatal("an empty error")
			}
			return
		}
		if usable > total || len(kids) > usable || len(kids) > 8 {
			t.Fatalf("usable %d of %d, %d kids", usable, total, len(kids))
		}
	})
}
