package wire_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/c7doctor/c7doctor/wire"
	"github.com/c7doctor/c7doctor/wire/wiretest"
)

// rewound is a body whose GetBody hands back the same stream, rewound, as
// azcore's requests do.
type rewound struct{ *bytes.Reader }

func (rewound) Close() error { return nil }

func TestSecretResponseIsNotRecorded(t *testing.T) {
	const secret = "a-named-value-nobody-registered"
	ca := wiretest.NewCA(t)
	var got string
	srv := wiretest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = string(b)
		io.WriteString(w, `{"value":"`+secret+`"}`)
	}), ca.Valid(t))
	c := newClient(t, wire.Options{RootCAs: ca.Pool})

	body := rewound{bytes.NewReader([]byte(`{"ask":"listValue"}`))}
	req, _ := http.NewRequestWithContext(wire.SecretResponse(context.Background()), http.MethodPost, srv.URL+"/listValue", body)
	req.GetBody = func() (io.ReadCloser, error) {
		_, err := body.Seek(0, io.SeekStart)
		return body, err
	}
	resp, err := c.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(data), secret) {
		t.Fatalf("the caller must still get the value: %s", data)
	}
	if got != `{"ask":"listValue"}` {
		t.Errorf("the server got %q: recording the request body consumed it", got)
	}
	ex := c.Recorder().Exchanges()
	if len(ex) != 1 || strings.Contains(ex[0].RespBody, secret) || !strings.Contains(ex[0].RespBody, wire.Redacted) {
		t.Fatalf("recorded %+v", ex)
	}
}

func TestARMErrorCodesStayReadable(t *testing.T) {
	r := wire.NewRedactor()
	in := `{"error":{"code":"AuthorizationFailed","message":"no"}} {"code":"0.AXEAx-abc123_defGHIjkl","client_secret":"Abcdefghijklmnop"}`
	out := r.String(in)
	if !strings.Contains(out, `"code":"AuthorizationFailed"`) || strings.Contains(out, "0.AXEAx") || strings.Contains(out, "Abcdefghijklmnop") {
		t.Fatalf("%s", out)
	}
}
