package wire

import "context"

type secretResponseKey struct{}

// SecretResponse marks a request whose answer is a secret value (APIM's
// named-value listValue): the recorder keeps that body out of -v and the
// trace whatever it looks like, since the redactor cannot know a value it
// has never been told.
func SecretResponse(ctx context.Context) context.Context {
	return context.WithValue(ctx, secretResponseKey{}, true)
}

func isSecretResponse(ctx context.Context) bool {
	v, _ := ctx.Value(secretResponseKey{}).(bool)
	return v
}
