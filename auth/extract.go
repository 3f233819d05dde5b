package auth

import (
	"encoding/json"
	"fmt"
	"github.com/c7doctor/c7doctor/wire"
	"strings"
)

// Form is how a token was given.
type Form string

const (
	FormRaw           Form = "raw token"
	FormBearer        Form = "Authorization header value (Bearer …)"
	FormAzJSON        Form = "az account get-access-token JSON"
	FormTokenResponse Form = "OAuth token response JSON"
	FormQuoted        Form = "quoted string"
)

var (
	bearerPrefix = wire.NewLazyRegexp(`(?i)^(authorization\s*:\s*)?bearer\s+`)
	whitespace   = wire.NewLazyRegexp(`\s+`)
)

// Extract takes the token out of what people paste or save: a raw token,
// "Bearer …" (with or without "Authorization:"), the JSON of `az account
// get-access-token`, an OAuth token response, or a JSON string; surrounding
// and line-wrapping whitespace is ignored. The token is not decoded.
func Extract(input string) (string, Form, error) {
	s := strings.TrimSpace(strings.TrimPrefix(input, "\ufeff"))
	if s == "" {
		return "", "", &DecodeError{Kind: ErrEmpty, Detail: "empty input"}
	}
	if len(s) > 4*MaxTokenSize {
		return "", "", &DecodeError{Kind: ErrTooLarge, Detail: fmt.Sprintf("%d bytes is more than a token file may have", len(s))}
	}
	switch s[0] {
	case '{':
		return fromJSONObject(s)
	case '"':
		var v string
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return "", "", &DecodeError{Kind: ErrJSON, Detail: "the input starts with a quote but is not a JSON string", Err: err}
		}
		tok, _, err := Extract(v)
		return tok, FormQuoted, err
	}
	if strings.EqualFold(s, "bearer") {
		return "", "", &DecodeError{Kind: ErrEmpty, Detail: `"Bearer" with no token after it`}
	}
	if loc := bearerPrefix.FindStringIndex(s); loc != nil {
		tok := whitespace.ReplaceAllString(s[loc[1]:], "")
		if tok == "" {
			return "", "", &DecodeError{Kind: ErrEmpty, Detail: `"Bearer" with no token after it`}
		}
		return tok, FormBearer, nil
	}
	// Tokens hold no whitespace: what is there came from line wrapping.
	return whitespace.ReplaceAllString(s, ""), FormRaw, nil
}

func fromJSONObject(s string) (string, Form, error) {
	var obj map[string]any
	if err := json.Unmarshal([]byte(s), &obj); err != nil {
		return "", "", &DecodeError{Kind: ErrJSON, Detail: "the input looks like JSON but does not parse", Err: err}
	}
	for _, k := range []string{"accessToken", "access_token"} {
		v, ok := obj[k]
		if !ok {
			continue
		}
		tok, isStr := v.(string)
		if !isStr || strings.TrimSpace(tok) == "" {
			return "", "", &DecodeError{Kind: ErrEmpty, Detail: "the JSON's " + k + " is empty or not a string"}
		}
		if k == "accessToken" {
			return strings.TrimSpace(tok), FormAzJSON, nil
		}
		return strings.TrimSpace(tok), FormTokenResponse, nil
	}
	if _, ok := obj["alg"]; ok {
		return "", "", &DecodeError{Kind: ErrNotObject, Detail: "this JSON is a token header, not a token: paste the whole token (three parts separated by dots)"}
	}
	if _, ok := obj["aud"]; ok {
		return "", "", &DecodeError{Kind: ErrNotObject, Detail: "this JSON is a token's claims, not a token: paste the whole token (three parts separated by dots)"}
	}
	return "", "", &DecodeError{Kind: ErrNotObject, Detail: "the JSON has no accessToken (az account get-access-token) or access_token (token response) member"}
}

// DecodeInput is Extract then Decode.
func DecodeInput(input string) (*Token, Form, error) {
	raw, form, err := Extract(input)
	if err != nil {
		return nil, "", err
	}
	t, err := Decode(raw)
	return t, form, err
}
