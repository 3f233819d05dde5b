package checks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/c7doctor/c7doctor/auth"
	"github.com/c7doctor/c7doctor/wire"
)

// metaObject decodes a metadata document into its top-level members. It
// refuses what a browser-grade client would refuse too: a byte order mark,
// anything but one JSON object, trailing data.
func metaObject(body []byte) (map[string]json.RawMessage, error) {
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(trimmed) == 0:
		return nil, errors.New("the body is empty")
	case bytes.HasPrefix(body, []byte("\xef\xbb\xbf")):
		return nil, errors.New("the body starts with a byte order mark (U+FEFF), which JSON parsers refuse")
	case trimmed[0] != '{':
		return nil, fmt.Errorf("the body is not a JSON object (it starts with %s)", quotedPrefix(trimmed, 20))
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	var obj map[string]json.RawMessage
	if err := dec.Decode(&obj); err != nil {
		return nil, fmt.Errorf("the body is not valid JSON: %v", err)
	}
	if dec.More() {
		return nil, errors.New("the body has data after the JSON object")
	}
	return obj, nil
}

// metaString reads an optional string member.
func metaString(obj map[string]json.RawMessage, name string) (string, bool, error) {
	raw, ok := obj[name]
	if !ok || string(raw) == "null" {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", true, fmt.Errorf("%s: expected a string, got %s", name, auth.JSONKind(raw))
	}
	return s, true, nil
}

// metaStrings reads an optional array-of-strings member.
func metaStrings(obj map[string]json.RawMessage, name string) ([]string, bool, error) {
	raw, ok := obj[name]
	if !ok || string(raw) == "null" {
		return nil, false, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, true, fmt.Errorf("%s: expected an array of strings, got %s", name, auth.JSONKind(raw))
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		var s string
		if err := json.Unmarshal(it, &s); err != nil || string(it) == "null" {
			return nil, true, fmt.Errorf("%s[%d]: expected a string, got %s", name, i, auth.JSONKind(it))
		}
		out = append(out, s)
	}
	return out, true, nil
}

// placeholderRE is a template placeholder of the guide's kind:
// <your-apim-host>, <gateway-app-id>, <your-tenant-id>, <your tenant>, also
// percent-encoded, as it shows after a trip through a URL.
var placeholderRE = wire.NewLazyRegexp(`(?i)<[a-z][a-z0-9 _.-]{0,62}>|%3C[a-z][a-z0-9_.-]{0,62}%3E`)

// TemplatePlaceholders lists the template placeholders left in a document, each
// once, in order of appearance. A JSON document is searched in every key
// and string value (escapes such as \u003c resolved); anything else as text.
func TemplatePlaceholders(body []byte) []string {
	texts, ok := jsonTextsInOrder(body)
	if !ok {
		texts = []string{string(body)}
	}
	seen := map[string]bool{}
	var out []string
	for _, t := range texts {
		for _, m := range placeholderRE.FindAllString(t, 8) {
			if !seen[m] {
				seen[m] = true
				out = append(out, m)
			}
			if len(out) >= 16 {
				return out
			}
		}
	}
	return out
}

// jsonTextsInOrder returns every key and string value of a JSON text in
// document order; ok is false when the text is not JSON.
func jsonTextsInOrder(body []byte) ([]string, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var out []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out, len(out) > 0 || len(bytes.TrimSpace(body)) > 0
		}
		if err != nil {
			return nil, false
		}
		if s, ok := tok.(string); ok {
			out = append(out, s)
		}
	}
}

// holdsPlaceholder reports whether a single value holds a placeholder.
func holdsPlaceholder(s string) bool { return placeholderRE.MatchString(s) }

// bodyDescription says what a response body is, for a person: an APIM error,
// a JSON-RPC error, an HTML page, text, JSON or bytes.
func bodyDescription(contentType string, body []byte, truncated bool) string {
	t := bytes.TrimSpace(body)
	more := ""
	if truncated {
		more = " (cut at the read limit)"
	}
	switch {
	case len(t) == 0:
		return "an empty body"
	case t[0] == '{':
		var m map[string]any
		if json.Unmarshal(t, &m) == nil {
			if msg, ok := m["message"].(string); ok {
				if code, ok := m["statusCode"].(float64); ok {
					return fmt.Sprintf("APIM's own error body: statusCode %v, message %q", code, clipText(msg, 200))
				}
			}
			if e, ok := m["error"].(map[string]any); ok {
				if code, ok := e["code"].(float64); ok {
					msg, _ := e["message"].(string)
					return fmt.Sprintf("a JSON-RPC error %v: %q", code, clipText(msg, 200))
				}
			}
			if e, ok := m["error"].(string); ok {
				d, _ := m["error_description"].(string)
				return fmt.Sprintf("an OAuth error %q: %q", clipText(e, 60), clipText(firstLineOf(d), 200))
			}
			return "JSON: " + clipText(compactedJSON(t), 300) + more
		}
		return "text that looks like JSON but is not: " + quotedPrefix(t, 120) + more
	case bodyLooksHTML(contentType, t):
		if title := htmlTitleOf(t); title != "" {
			return fmt.Sprintf("an HTML page titled %q%s", clipText(title, 120), more)
		}
		return "an HTML page" + more
	case utf8.Valid(t):
		return "text: " + quotedPrefix(t, 200) + more
	}
	if contentType == "" {
		contentType = "unknown type"
	}
	return fmt.Sprintf("%d bytes of %s%s", len(body), contentType, more)
}

func bodyLooksHTML(contentType string, t []byte) bool {
	if strings.Contains(contentType, "html") {
		return true
	}
	l := bytes.ToLower(t[:min(len(t), 64)])
	return bytes.HasPrefix(l, []byte("<!doctype html")) || bytes.HasPrefix(l, []byte("<html"))
}

func htmlTitleOf(t []byte) string {
	l := bytes.ToLower(t[:min(len(t), 64<<10)])
	i := bytes.Index(l, []byte("<title"))
	if i < 0 {
		return ""
	}
	j := bytes.IndexByte(l[i:], '>')
	if j < 0 {
		return ""
	}
	start := i + j + 1
	k := bytes.Index(l[start:], []byte("</title"))
	if k < 0 {
		return ""
	}
	return strings.Join(strings.Fields(string(t[start:start+k])), " ")
}

func compactedJSON(t []byte) string {
	var b bytes.Buffer
	if json.Compact(&b, t) != nil {
		return string(t)
	}
	return b.String()
}

func quotedPrefix(t []byte, n int) string {
	return fmt.Sprintf("%q", clipText(string(t), n))
}

// clipText shortens s to n bytes at a rune boundary, marking the cut.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func firstLineOf(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}
