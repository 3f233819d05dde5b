package wire_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/c7doctor/c7doctor/wire"
)

const (
	adaOID = "5d9a3e71-2c4b-4f8e-a1d6-0b7c9e3f2a58"
	bobOID = "11111111-2222-4333-8444-555555555555"
)

func claimsOf(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	data, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("claims of %q: %v", tok, err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestPIIPseudonymsInTokensAndText(t *testing.T) {
	r := wire.NewRedactor()
	r.RedactPII()
	tok := jwt(`{"aud":"api://gw","name":"Ada Lab","given_name":"Ada","family_name":"Lab","upn":"ada@contoso-lab.onmicrosoft.com","oid":"`+adaOID+`","tid":"7a1c5e2f-4b3d-4e8a-9c6f-2d1b0a9e8f70","ipaddr":"203.0.113.9"}`, sig)
	out := r.String("Authorization: Bearer " + tok)
	for _, leak := range []string{sig, "Ada Lab", "ada@", adaOID, "203.0.113.9"} {
		if strings.Contains(out, leak) {
			t.Errorf("%q left in %q", leak, out)
		}
	}
	stripped := strings.TrimPrefix(out, "Authorization: Bearer ")
	c := claimsOf(t, stripped)
	if c["name"] != "[name-1]" || c["upn"] != "[user-1@redacted]" || c["oid"] != "[oid-1]" || c["ipaddr"] != "[ip-1]" {
		t.Fatalf("claims %v", c)
	}
	if c["tid"] != "7a1c5e2f-4b3d-4e8a-9c6f-2d1b0a9e8f70" || c["aud"] != "api://gw" {
		t.Fatalf("non-personal claims changed: %v", c)
	}

	// Text written later uses the same pseudonyms; new people get new ones.
	text := r.String("user Ada Lab (ADA@contoso-lab.onmicrosoft.com) oid " + adaOID + ", and bob@example.com with \"oid\": \"" + bobOID + "\"")
	want := "user [name-1] ([user-1@redacted]) oid [oid-1], and [user-2@redacted] with \"oid\": \"[oid-2]\""
	if text != want {
		t.Fatalf("text\n got %q\nwant %q", text, want)
	}
	// Same input, same pseudonym; a second pass changes nothing.
	if again := r.String(text); again != text {
		t.Fatalf("second pass changed %q to %q", text, again)
	}
	if r.String(bobOID) != "[oid-2]" {
		t.Fatal("a known oid is replaced even without its key")
	}
	// A family name alone is not hunted in text: it would garble words.
	if got := r.String("the Lab is up"); got != "the Lab is up" {
		t.Fatalf("ordinary words garbled: %q", got)
	}
}

func TestPIIInClientInfoAndGivenTokens(t *testing.T) {
	r := wire.NewRedactor()
	r.RedactPII()
	tok := jwt(`{"name":"Grace Hopper","oid":"`+adaOID+`"}`, sig)
	r.Secret(tok) // a token given with --token-file teaches its people too
	if got := r.String("evidence: Grace Hopper"); got != "evidence: [name-1]" {
		t.Fatalf("got %q", got)
	}
	ci := base64.RawURLEncoding.EncodeToString([]byte(`{"uid":"` + adaOID + `","utid":"7a1c5e2f-4b3d-4e8a-9c6f-2d1b0a9e8f70"}`))
	out := r.String(`{"client_info":"` + ci + `"}`)
	if strings.Contains(out, ci) {
		t.Fatalf("client_info kept its uid: %q", out)
	}
	seg := strings.TrimSuffix(strings.TrimPrefix(out, `{"client_info":"`), `"}`)
	data, _ := base64.RawURLEncoding.DecodeString(seg)
	if !strings.Contains(string(data), `"uid":"[oid-1]"`) {
		t.Fatalf("client_info %s", data)
	}
	r.Person("Linus Example")
	if got := r.String("by Linus Example"); got != "by [name-2]" {
		t.Fatalf("a registered person: %q", got)
	}
}

func TestNoPIIRedactionByDefault(t *testing.T) {
	r := wire.NewRedactor()
	r.Person("Ada Lab")
	in := "Ada Lab ada@contoso.com oid " + adaOID
	if got := r.String(in); got != in {
		t.Fatalf("without --redact-pii: %q", got)
	}
}
