package auth

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDecodeKinds(t *testing.T) {
	v1 := v2Claims()
	delete(v1, "azp")
	delete(v1, "azpacr")
	v1["iss"] = "https://sts.windows.net/" + tenantID + "/"
	v1["ver"] = "1.0"
	v1["appid"] = azureCLI
	v1["aud"] = "api://" + gatewayID

	id := v2Claims()
	for _, k := range []string{"azp", "azpacr", "scp"} {
		delete(id, k)
	}
	id["aud"] = azureCLI
	id["nonce"] = "n-123"

	app := v2Claims()
	delete(app, "scp")
	app["roles"] = []string{"Mcp.Gateway.Access"}
	app["idtyp"] = "app"

	graph := v2Claims()
	graph["aud"] = "00000003-0000-0000-c000-000000000000"
	graph["scp"] = "User.Read openid profile"

	noEntra := map[string]any{"iss": "https://example.com", "aud": "x", "sub": "y", "exp": 1767229200}

	cases := []struct {
		name    string
		header  map[string]any
		claims  map[string]any
		kind    Kind
		version Version
		words   string
	}{
		{"v2 access", nil, v2Claims(), KindAccess, V2, "Entra v2 access token"},
		{"v1 access", nil, v1, KindAccess, V1, "Entra v1 access token"},
		{"id token", nil, id, KindID, V2, "Entra v2 ID token"},
		{"app-only", nil, app, KindAppOnly, V2, "Entra v2 app-only access token"},
		{"graph", map[string]any{"nonce": "abc"}, graph, KindGraph, V2, "Microsoft Graph v2 access token"},
		{"not entra", nil, noEntra, KindUnknown, VerUnknown, "JWT (not recognisably issued by Entra)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok, err := Decode(mint(t, c.header, c.claims))
			if err != nil {
				t.Fatal(err)
			}
			if tok.Kind != c.kind || tok.Version != c.version {
				t.Errorf("kind %q version %q, want %q %q", tok.Kind, tok.Version, c.kind, c.version)
			}
			if !strings.HasPrefix(tok.Describe(), c.words) {
				t.Errorf("Describe() = %q, want prefix %q", tok.Describe(), c.words)
			}
			if tok.SignatureLen != 256 {
				t.Errorf("SignatureLen = %d", tok.SignatureLen)
			}
		})
	}
}

func TestDecodeClaims(t *testing.T) {
	c := v2Claims()
	c["aud"] = []string{gatewayID, "api://" + gatewayID}
	c["scp"] = "Mcp.Gateway.Access  other.scope"
	c["exp"] = 1767229200.5
	tok, err := Decode(mint(t, nil, c))
	if err != nil {
		t.Fatal(err)
	}
	cl := tok.Claims
	if cl.Iss != "https://login.microsoftonline.com/"+tenantID+"/v2.0" || cl.Tid != tenantID || cl.Oid != userOID {
		t.Errorf("iss/tid/oid: %q %q %q", cl.Iss, cl.Tid, cl.Oid)
	}
	if len(cl.Aud) != 2 || !cl.HasAudience("api://"+gatewayID) {
		t.Errorf("aud = %v", cl.Aud)
	}
	if len(cl.Scp) != 2 || !cl.HasScope("mcp.gateway.access") || cl.HasScope("Mcp") {
		t.Errorf("scp = %v", cl.Scp)
	}
	if cl.ClientID() != azureCLI || cl.ClientAuth() != "0" || cl.User() != "ada@contoso-lab.onmicrosoft.com" {
		t.Errorf("client %q auth %q user %q", cl.ClientID(), cl.ClientAuth(), cl.User())
	}
	if cl.Iat.Unix() != 1767225300 || cl.Nbf.Time.IsZero() {
		t.Errorf("iat %v nbf %v", cl.Iat, cl.Nbf)
	}
	if want := time.Unix(1767229200, 5e8).UTC(); !cl.Exp.Time.Equal(want) || cl.Exp.Raw.String() != "1767229200.5" {
		t.Errorf("exp = %v (%s)", cl.Exp.Time, cl.Exp.Raw)
	}
	if len(cl.Raw) != len(c) {
		t.Errorf("raw has %d claims, want %d", len(cl.Raw), len(c))
	}
	if names := tok.ClaimNames(); len(names) != len(c) {
		t.Errorf("ClaimNames = %v", names)
	}
	if tok.Unsigned() != tok.Raw[:strings.LastIndexByte(tok.Raw, '.')+1] {
		t.Error("Unsigned must end at the last dot")
	}
	if len(tok.Warnings) != 0 {
		t.Errorf("warnings: %v", tok.Warnings)
	}
}

func seg(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestDecodeErrors(t *testing.T) {
	good := mint(t, nil, v2Claims())
	parts := strings.Split(good, ".")
	cases := []struct {
		name, in string
		kind     DecodeErrorKind
		part     string
	}{
		{"empty", "  \n", ErrEmpty, ""},
		{"two parts not a jwt", "0.AXEAv7-refresh-token-ish", ErrParts, ""},
		{"no dots", "ctx7sk-0123456789abcdef", ErrOpaque, ""},
		{"jwe", "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d", ErrJWE, ""},
		{"two parts", parts[0] + "." + parts[1], ErrParts, ""},
		{"four parts", good + ".x", ErrParts, ""},
		{"opaque with dots", "0.AXEAv7-refresh.AgAB", ErrOpaque, ""},
		{"header base64", "eyJ%%%." + parts[1] + "." + parts[2], ErrBase64, "header"},
		{"header std base64", "eyJ+/." + parts[1] + "." + parts[2], ErrBase64, "header"},
		{"claims base64", parts[0] + ".!!." + parts[2], ErrBase64, "claims"},
		{"signature base64", parts[0] + "." + parts[1] + ".***", ErrBase64, "signature"},
		{"header not json", seg("hello") + "." + parts[1] + "." + parts[2], ErrJSON, "header"},
		{"header array", seg(`["alg"]`) + "." + parts[1] + "." + parts[2], ErrNotObject, "header"},
		{"claims string", parts[0] + "." + seg(`"x"`) + "." + parts[2], ErrNotObject, "claims"},
		{"claims trailing", parts[0] + "." + seg(`{"a":1} {}`) + "." + parts[2], ErrJSON, "claims"},
		{"claims truncated", parts[0] + "." + seg(`{"aud":"x"`) + "." + parts[2], ErrJSON, "claims"},
		{"too large", strings.Repeat("a", MaxTokenSize+1), ErrTooLarge, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(c.in)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("want *DecodeError, got %v", err)
			}
			if de.Kind != c.kind || de.Part != c.part {
				t.Errorf("kind %q part %q, want %q %q (%v)", de.Kind, de.Part, c.kind, c.part, err)
			}
			if de.Explain() == "" || !strings.HasPrefix(de.Error(), "token: ") {
				t.Errorf("explain %q error %q", de.Explain(), de.Error())
			}
		})
	}
}

func TestDecodeWarnings(t *testing.T) {
	parts := strings.Split(mint(t, nil, v2Claims()), ".")
	cases := []struct {
		name, token, want string
	}{
		{"alg none", seg(`{"alg":"none"}`) + "." + parts[1] + ".", "unsigned"},
		{"empty signature", parts[0] + "." + parts[1] + ".", "signature part is empty"},
		{"exp as string", parts[0] + "." + seg(`{"exp":"1767229200","tid":"t"}`) + "." + parts[2], "claim exp: is a string"},
		{"exp huge", parts[0] + "." + seg(`{"exp":1e300,"tid":"t"}`) + "." + parts[2], "outside the years"},
		{"aud number", parts[0] + "." + seg(`{"aud":5,"tid":"t"}`) + "." + parts[2], "claim aud is a number"},
		{"duplicate", parts[0] + "." + seg(`{"aud":"a","aud":"b","tid":"t"}`) + "." + parts[2], `"aud" appears more than once`},
		{"hs256", seg(`{"alg":"HS256"}`) + "." + parts[1] + "." + parts[2], "not one Entra signs with"},
		{"ver mismatch", parts[0] + "." + seg(`{"ver":"1.0","iss":"https://login.microsoftonline.com/t/v2.0"}`) + "." + parts[2], "does not match the issuer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok, err := Decode(c.token)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.Join(tok.Warnings, "\n"), c.want) {
				t.Errorf("warnings %q lack %q", tok.Warnings, c.want)
			}
		})
	}
}

func TestExtract(t *testing.T) {
	tok := mint(t, nil, v2Claims())
	cases := []struct {
		name, in string
		form     Form
	}{
		{"raw", "  " + tok + "\n", FormRaw},
		{"wrapped", tok[:40] + "\n" + tok[40:], FormRaw},
		{"bearer", "Bearer " + tok, FormBearer},
		{"bearer lower", "bearer\t" + tok, FormBearer},
		{"header line", "Authorization: Bearer " + tok, FormBearer},
		{"az json", `{"accessToken": "` + tok + `", "expiresOn": "2026-01-01 10:00:00.000000", "tenant": "t", "tokenType": "Bearer"}`, FormAzJSON},
		{"token response", `{"token_type":"Bearer","access_token":"` + tok + `","refresh_token":"r"}`, FormTokenResponse},
		{"quoted", `"` + tok + `"`, FormQuoted},
		{"bom", "\ufeff" + tok, FormRaw},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, form, err := Extract(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tok || form != c.form {
				t.Errorf("form %q, token matches %v", form, got == tok)
			}
		})
	}
	for _, bad := range []string{"", "Bearer  ", `{"accessToken": 5}`, `{"alg":"RS256"}`, `{"aud":"x"}`, `{"x":1}`, `{not json`, `"unterminated`} {
		if _, _, err := Extract(bad); err == nil {
			t.Errorf("Extract(%q): want an error", bad)
		}
	}
}
