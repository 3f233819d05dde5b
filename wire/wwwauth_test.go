package wire

import (
	"reflect"
	"strings"
	"testing"
)

func ch(scheme string, kv ...string) Challenge {
	c := Challenge{Scheme: scheme}
	for i := 0; i+1 < len(kv); i += 2 {
		c.Params = append(c.Params, AuthParam{Name: kv[i], Value: kv[i+1]})
	}
	return c
}

func TestParseWWWAuthenticate(t *testing.T) {
	const prm = "https://apim.example.net/.well-known/oauth-protected-resource"
	tests := []struct {
		name    string
		in      []string
		want    []Challenge
		wantErr string // substring; "" means no error
	}{
		{name: "guide", in: []string{`Bearer resource_metadata="` + prm + `"`}, want: []Challenge{ch("Bearer", "resource_metadata", prm)}},
		{name: "scheme case and param case", in: []string{`bEaReR Resource_Metadata="x"`}, want: []Challenge{ch("bEaReR", "resource_metadata", "x")}},
		{name: "every RFC 6750 param", in: []string{`Bearer realm="example", error="invalid_token", error_description="The access token expired", scope="openid api://x/Mcp.Gateway.Access"`},
			want: []Challenge{ch("Bearer", "realm", "example", "error", "invalid_token", "error_description", "The access token expired", "scope", "openid api://x/Mcp.Gateway.Access")}},
		{name: "two challenges one header", in: []string{`Basic realm="simple", Bearer resource_metadata="x", scope="s"`},
			want: []Challenge{ch("Basic", "realm", "simple"), ch("Bearer", "resource_metadata", "x", "scope", "s")}},
		{name: "RFC 7235 example", in: []string{`Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple"`},
			want: []Challenge{ch("Newauth", "realm", "apps", "type", "1", "title", `Login to "apps"`), ch("Basic", "realm", "simple")}},
		{name: "several headers", in: []string{`Basic realm="a"`, `Bearer resource_metadata="x"`},
			want: []Challenge{ch("Basic", "realm", "a"), ch("Bearer", "resource_metadata", "x")}},
		{name: "token68", in: []string{`Negotiate YIIB+w/AB==, Bearer`}, want: []Challenge{{Scheme: "Negotiate", Token68: "YIIB+w/AB=="}, {Scheme: "Bearer"}}},
		{name: "scheme only", in: []string{`Bearer`}, want: []Challenge{{Scheme: "Bearer"}}},
		{name: "empty list elements", in: []string{` , ,Bearer a="1" ,, b="2",  ,`}, want: []Challenge{ch("Bearer", "a", "1", "b", "2")}},
		{name: "BWS around equals", in: []string{"Bearer a = \"1\",\tb\t=2"}, want: []Challenge{ch("Bearer", "a", "1", "b", "2")}},
		{name: "escapes", in: []string{`Bearer a="x\\y\"z\q"`}, want: []Challenge{ch("Bearer", "a", `x\y"zq`)}},
		{name: "comma inside quotes", in: []string{`Bearer scope="a, b", Basic realm="r"`}, want: []Challenge{ch("Bearer", "scope", "a, b"), ch("Basic", "realm", "r")}},
		{name: "empty quoted value", in: []string{`Bearer realm=""`}, want: []Challenge{ch("Bearer", "realm", "")}},
		{name: "obs-text in quotes", in: []string{"Bearer realm=\"caf\xc3\xa9\""}, want: []Challenge{ch("Bearer", "realm", "caf\xc3\xa9")}},
		{name: "empty header", in: []string{""}, want: nil},
		{name: "no headers", in: nil, want: nil},

		// Tolerated departures: read, but reported.
		{name: "unquoted URL", in: []string{`Bearer resource_metadata=https://h/.well-known/x`}, want: []Challenge{ch("Bearer", "resource_metadata", "https://h/.well-known/x")}, wantErr: "not quoted"},
		{name: "repeated param keeps first", in: []string{`Bearer a="1", a="2"`}, want: []Challenge{ch("Bearer", "a", "1")}, wantErr: "repeated"},

		// Hostile input: an error, the readable part kept, no panic.
		{name: "unterminated quote", in: []string{`Bearer resource_metadata="x", scope="abc`}, want: []Challenge{ch("Bearer", "resource_metadata", "x")}, wantErr: "not closed"},
		{name: "backslash at end", in: []string{`Bearer a="x\`}, want: []Challenge{{Scheme: "Bearer"}}, wantErr: "backslash"},
		{name: "control char", in: []string{"Bearer a=\"x\x00y\""}, want: []Challenge{{Scheme: "Bearer"}}, wantErr: "control character"},
		{name: "newline injection", in: []string{"Bearer a=\"x\r\nSet-Cookie: y\""}, want: []Challenge{{Scheme: "Bearer"}}, wantErr: "control character"},
		{name: "starts with quote", in: []string{`"Bearer"`}, wantErr: "expected an auth-scheme"},
		{name: "equals without value", in: []string{`Bearer a=, b="1"`}, want: []Challenge{{Scheme: "Bearer", Token68: "a="}, {Scheme: "b"}}, wantErr: "expected a space"},
		{name: "name without equals", in: []string{`Bearer a b`}, want: []Challenge{{Scheme: "Bearer"}}, wantErr: "expected '='"},
		{name: "garbage after param", in: []string{`Bearer a="1" junk`}, want: []Challenge{ch("Bearer", "a", "1")}, wantErr: "expected ','"},
		{name: "quote in bare value", in: []string{`Bearer a=b"c"`}, want: []Challenge{{Scheme: "Bearer"}}, wantErr: "inside the unquoted value"},
		{name: "one bad header does not hide the next", in: []string{`Bearer a="`, `Basic realm="r"`}, want: []Challenge{{Scheme: "Bearer"}, ch("Basic", "realm", "r")}, wantErr: "header 1"},
		{name: "scheme glued to quote", in: []string{`Bearer"x"`}, want: []Challenge{{Scheme: "Bearer"}}, wantErr: "expected a space"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseWWWAuthenticate(tt.in)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("challenges:\n got %#v\nwant %#v", got, tt.want)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error = %v, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseWWWAuthenticateBounds(t *testing.T) {
	long := "Bearer a=\"" + strings.Repeat("x", MaxWWWAuthenticateLen) + "\""
	got, err := ParseWWWAuthenticate([]string{long, `Bearer b="1"`})
	if err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Fatalf("want a length error, got %v", err)
	}
	if len(got) != 1 || got[0].Params[0].Name != "b" {
		t.Fatalf("the next header should still be read: %#v", got)
	}

	many := strings.Repeat("Basic, ", 100)
	got, err = ParseWWWAuthenticate([]string{many})
	if len(got) != MaxChallenges || err == nil {
		t.Fatalf("want %d challenges and an error, got %d, %v", MaxChallenges, len(got), err)
	}

	var params []string
	for i := 0; i < 100; i++ {
		params = append(params, "p"+strings.Repeat("x", i)+`="v"`)
	}
	got, err = ParseWWWAuthenticate([]string{"Bearer " + strings.Join(params, ", ")})
	if len(got) != 1 || len(got[0].Params) != MaxAuthParams || err == nil {
		t.Fatalf("want %d params and an error, got %d, %v", MaxAuthParams, len(got[0].Params), err)
	}
}

func TestChallengeStringRoundTrip(t *testing.T) {
	c := ch("Bearer", "resource_metadata", `https://h/x?a="b"\c`, "scope", "a b")
	got, err := ParseWWWAuthenticate([]string{c.String()})
	if err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], c) {
		t.Fatalf("round trip of %s: %#v, %v", c.String(), got, err)
	}
	if v, ok := got[0].Param("SCOPE"); !ok || v != "a b" {
		t.Fatalf("Param is case-insensitive: %q %v", v, ok)
	}
	if !got[0].Is("bearer") {
		t.Fatal("Is is case-insensitive")
	}
}
