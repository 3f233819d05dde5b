package checks

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/c7doctor/c7doctor/azure"
)

// DefaultSecretExpiryWarn is how long before its end a client secret is
// warned about: long enough to rotate it without an outage.
const DefaultSecretExpiryWarn = 30 * 24 * time.Hour

// runEntraSecret judges the Gateway app's client secret that APIM uses for
// the OBO exchange: its end date. The secret is told apart from the app's
// others by Graph's three-character hint, compared in memory with the
// secret the run was given; without one, the newest is judged.
func runEntraSecret(ctx context.Context, env *Env, r *Result) {
	apps := graphRead(ctx, env, r, "entra-secret")
	if apps == nil || readFailed(r, apps, azure.ReadGatewayApp) {
		return
	}
	a := apps.Gateway
	if a == nil {
		r.Skip("needs the APIM Gateway app, which Graph does not hold (see entra-gateway-app)")
		return
	}
	r.Evidence("secrets_total", strconv.Itoa(len(a.PasswordCredentials)))
	if len(a.PasswordCredentials) == 0 {
		r.Find("entra-secret-none", "passwordCredentials of the APIM Gateway app is empty: APIM has no secret to perform the OBO exchange with.")
		return
	}
	sec, how := usedSecret(env, apps)
	if sec == nil {
		r.Find("entra-secret-unknown", "None of the APIM Gateway app's secrets starts like the secret c7doctor was given ("+secretSource(env.Config)+"): it is not a secret of this app, so APIM's OBO exchange fails with it (obo names the refusal).")
		return
	}
	now := env.Now()
	r.Evidence("secret_key_id", sec.KeyID)
	r.Evidence("secret_name", sec.DisplayName)
	r.Evidence("secret_matched_by", how)
	if sec.EndDateTime == nil {
		r.Summary("the secret %s never expires", secretName(*sec))
		return
	}
	end := sec.EndDateTime.UTC()
	left := daysLeft(end, now)
	r.Evidence("secret_expires_at", end.Format(time.RFC3339))
	r.Evidence("secret_days_left", strconv.Itoa(left))
	warn := env.Config.SecretExpiryWarn
	if warn <= 0 {
		warn = DefaultSecretExpiryWarn
	}
	newer := newerSecret(a, sec, now)
	switch {
	case !end.After(now):
		detail := fmt.Sprintf("The secret %s (%s) ended on %s, %d day(s) ago: Entra refuses every OBO exchange APIM makes with it (AADSTS7000222).", secretName(*sec), how, end.Format("2006-01-02"), -left)
		if newer != nil {
			detail += fmt.Sprintf(" A newer secret, %s (ends %s), exists but APIM does not use it: put its value in the apim-gateway-client-secret named value.", secretName(*newer), newer.EndDateTime.UTC().Format("2006-01-02"))
		}
		r.Find("entra-secret-expired", detail)
		if _, inNV := namedValueSecret(env); inNV && how == usedByNamedValue {
			noteCause(r, namedValueKey(nvGatewaySecret))
		}
	case end.Sub(now) <= warn && newer != nil:
		r.Find("entra-secret-rotation-pending", fmt.Sprintf("The secret APIM uses, %s (%s), ends on %s, in %d day(s); a newer secret, %s (ends %s), exists but APIM does not use it.", secretName(*sec), how, end.Format("2006-01-02"), left, secretName(*newer), newer.EndDateTime.UTC().Format("2006-01-02")))
	case end.Sub(now) <= warn:
		r.Find("entra-secret-expiring", fmt.Sprintf("The secret %s (%s) ends on %s, in %d day(s) (warned within %d days): every OBO exchange fails from then on.", secretName(*sec), how, end.Format("2006-01-02"), left, int(warn.Hours()/24)))
	default:
		r.Summary("the secret %s ends on %s, in %d days", secretName(*sec), end.Format("2006-01-02"), left)
	}
}

const usedByNamedValue = "the one in the " + nvGatewaySecret + " named value"

// usedSecret is the secret APIM uses, as far as Graph can tell: the one
// whose hint matches the secret the run was given (the earliest to end if
// several do), else, with no secret given, the newest. how says which.
func usedSecret(env *Env, apps *azure.Apps) (*azure.PasswordCredential, string) {
	a := apps.Gateway
	if a == nil || len(a.PasswordCredentials) == 0 {
		return nil, ""
	}
	// The secret APIM holds, read from its named value with --read-secrets,
	// says best which secret is in use.
	if nv, ok := namedValueSecret(env); ok {
		for i, c := range a.PasswordCredentials {
			if nv.SecretHasHint(c.Hint) {
				return &a.PasswordCredentials[i], usedByNamedValue
			}
		}
	}
	given := env.Config.GatewaySecret
	if len(given) >= 3 {
		var match *azure.PasswordCredential
		n := 0
		for i, c := range a.PasswordCredentials {
			if c.Hint != "" && c.Hint == given[:3] {
				n++
				if match == nil || endsBefore(&c, match) {
					match = &a.PasswordCredentials[i]
				}
			}
		}
		switch n {
		case 0:
			return nil, ""
		case 1:
			return match, "the one c7doctor was given"
		}
		return match, fmt.Sprintf("%d secrets start like the one c7doctor was given: the earliest to end", n)
	}
	newest := &a.PasswordCredentials[0]
	for i := range a.PasswordCredentials {
		c := &a.PasswordCredentials[i]
		if c.StartDateTime != nil && (newest.StartDateTime == nil || c.StartDateTime.After(*newest.StartDateTime)) {
			newest = c
		}
	}
	return newest, "the newest: no secret was given to match"
}

func endsBefore(a, b *azure.PasswordCredential) bool {
	if a.EndDateTime == nil {
		return false
	}
	return b.EndDateTime == nil || a.EndDateTime.Before(*b.EndDateTime)
}

// newerSecret is another secret of the app that ends later than used and
// is still valid: the rotation APIM has not picked up.
func newerSecret(a *azure.Application, used *azure.PasswordCredential, now time.Time) *azure.PasswordCredential {
	var best *azure.PasswordCredential
	for i := range a.PasswordCredentials {
		c := &a.PasswordCredentials[i]
		if c.KeyID == used.KeyID || c.EndDateTime == nil || !c.EndDateTime.After(now) || !c.EndDateTime.After(*used.EndDateTime) {
			continue
		}
		if best == nil || c.EndDateTime.After(*best.EndDateTime) {
			best = c
		}
	}
	return best
}

// daysLeft is whole days until end: 10 for ten days and some hours, -2
// for a secret that ended two days and some hours ago.
func daysLeft(end, now time.Time) int {
	return int(end.Sub(now) / (24 * time.Hour))
}

func secretName(c azure.PasswordCredential) string {
	if c.DisplayName != "" {
		return fmt.Sprintf("%q (Secret ID %s)", c.DisplayName, c.KeyID)
	}
	return "with Secret ID " + c.KeyID
}

// namedValueSecret is the apim-gateway-client-secret named value when the
// configuration read has finished with its value read (--read-secrets).
func namedValueSecret(env *Env) (azure.NamedValue, bool) {
	rd := &env.State.APIM
	if !rd.started || rd.done == nil {
		return azure.NamedValue{}, false
	}
	select {
	case <-rd.done:
	default:
		return azure.NamedValue{}, false
	}
	if rd.err != nil || rd.snap == nil {
		return azure.NamedValue{}, false
	}
	nv, ok := rd.snap.FindNamedValue(nvGatewaySecret)
	return nv, ok && nv.SecretRead()
}
