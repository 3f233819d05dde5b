package checks

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// azCommands are the az subcommands the catalog renders and the flags each
// takes, written from the Azure CLI reference. A fix command that uses a
// subcommand or flag missing here fails the test: check it against az's
// reference before adding it.
var azCommands = map[string][]string{
	"account get-access-token":           {"--resource", "--resource-type", "--scope", "--tenant", "-t"},
	"account show":                       {"--name", "-n"},
	"ad app credential reset":            {"--id", "--append", "--display-name", "--years", "--end-date"},
	"ad app federated-credential create": {"--id", "--parameters"},
	"ad app federated-credential list":   {"--id"},
	"ad app list":                        {"--display-name", "--app-id", "--filter", "--identifier-uri", "--all", "--show-mine"},
	"ad app permission add":              {"--id", "--api", "--api-permissions"},
	"ad app permission admin-consent":    {"--id"},
	"ad app permission list":             {"--id"},
	"ad app show":                        {"--id"},
	"ad app update":                      {"--id", "--identifier-uris", "--is-fallback-public-client", "--public-client-redirect-uris", "--web-redirect-uris", "--sign-in-audience", "--set", "--add", "--remove"},
	"ad signed-in-user show":             {},
	"ad sp create":                       {"--id"},
	"ad sp show":                         {"--id"},
	"ad sp update":                       {"--id", "--set", "--add", "--remove"},
	"apim api list":                      {"--resource-group", "-g", "--service-name", "-n", "--filter-display-name", "--top", "--skip"},
	"apim api operation create":          {"--resource-group", "-g", "--service-name", "-n", "--api-id", "--operation-id", "--display-name", "--method", "--url-template", "--description"},
	"apim api operation list":            {"--resource-group", "-g", "--service-name", "-n", "--api-id"},
	"apim api show":                      {"--resource-group", "-g", "--service-name", "-n", "--api-id"},
	"apim api update":                    {"--resource-group", "-g", "--service-name", "-n", "--api-id", "--protocols", "--service-url", "--subscription-required", "--path", "--display-name", "--set"},
	"apim list":                          {"--resource-group", "-g"},
	"apim nv create":                     {"--resource-group", "-g", "--service-name", "-n", "--named-value-id", "--display-name", "--value", "--secret", "--tags"},
	"apim nv list":                       {"--resource-group", "-g", "--service-name", "-n"},
	"apim nv show":                       {"--resource-group", "-g", "--service-name", "-n", "--named-value-id"},
	"apim nv update":                     {"--resource-group", "-g", "--service-name", "-n", "--named-value-id", "--display-name", "--value", "--secret", "--tags", "--if-match"},
	"apim update":                        {"--resource-group", "-g", "--name", "-n", "--set", "--add", "--remove", "--force-string", "--no-wait"},
	"apim show":                          {"--resource-group", "-g", "--name", "-n"},
	"login":                              {"--tenant", "-t", "--scope", "--use-device-code", "--allow-no-subscriptions", "--service-principal", "--identity", "--username", "-u"},
	"rest":                               {"--method", "-m", "--uri", "--url", "-u", "--body", "-b", "--headers", "--resource", "--uri-parameters", "--skip-authorization-header", "--output-file"},
	"role assignment create":             {"--assignee", "--assignee-object-id", "--assignee-principal-type", "--role", "--scope"},
}

// azGlobalFlags are taken by every az command.
var azGlobalFlags = []string{"--query", "--output", "-o", "--only-show-errors", "--debug", "--verbose", "--subscription", "--help", "-h"}

// shellWord is one word of a command line; quoted words are values, never flags.
type shellWord struct {
	text   string
	quoted bool
}

// shellCommands splits a command line into its simple commands, the way a
// POSIX shell reads it: quotes, $(…) (whose inside is a command line too),
// pipes, && || ; and redirections. It refuses what a shell would refuse.
func shellCommands(line string) ([][]shellWord, error) {
	var cmds [][]shellWord
	var cur []shellWord
	var word strings.Builder
	inWord, quoted := false, false
	flushWord := func() {
		if inWord {
			cur = append(cur, shellWord{word.String(), quoted})
		}
		word.Reset()
		inWord, quoted = false, false
	}
	flushCmd := func() {
		flushWord()
		if len(cur) > 0 {
			cmds = append(cmds, cur)
		}
		cur = nil
	}
	skipNext := false // the word after a redirection is a file
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case c == '\'':
			j := slices.Index(rs[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unclosed ' at %d", i)
			}
			word.WriteString(string(rs[i+1 : i+1+j]))
			i += j + 1
			inWord, quoted = true, true
		case c == '"':
			j := i + 1
			for ; j < len(rs) && rs[j] != '"'; j++ {
				if rs[j] == '\\' {
					j++
				}
			}
			if j >= len(rs) {
				return nil, fmt.Errorf("unclosed \" at %d", i)
			}
			word.WriteString(string(rs[i+1 : j]))
			i = j
			inWord, quoted = true, true
		case c == '$' && i+1 < len(rs) && rs[i+1] == '(':
			depth, j := 1, i+2
			for ; j < len(rs) && depth > 0; j++ {
				switch rs[j] {
				case '(':
					depth++
				case ')':
					depth--
				}
			}
			if depth != 0 {
				return nil, fmt.Errorf("unclosed $( at %d", i)
			}
			inner, err := shellCommands(string(rs[i+2 : j-1]))
			if err != nil {
				return nil, err
			}
			cmds = append(cmds, inner...)
			word.WriteString("$(…)")
			i = j - 1
			inWord, quoted = true, true
		case c == '|' || c == '&' || c == ';' || c == '\n':
			if c == '&' && (i+1 >= len(rs) || rs[i+1] != '&') {
				return nil, fmt.Errorf("a lone & at %d", i)
			}
			if i+1 < len(rs) && rs[i+1] == c {
				i++
			}
			flushCmd()
		case c == '>' || c == '<':
			flushWord()
			skipNext = true
		case unicode.IsSpace(c):
			flushWord()
		default:
			if skipNext && !inWord {
				// the redirection's file: read it to its end and drop it
				j := i
				for j < len(rs) && !unicode.IsSpace(rs[j]) && !strings.ContainsRune("|&;<>", rs[j]) {
					j++
				}
				i = j - 1
				skipNext = false
				continue
			}
			word.WriteRune(c)
			inWord = true
		}
	}
	flushCmd()
	// Shell keywords open or close compound commands; what follows do/then
	// is a command of its own, and a for's head names no command.
	var simple [][]shellWord
	for _, cmd := range cmds {
		for len(cmd) > 0 && !cmd[0].quoted && slices.Contains([]string{"do", "then", "else"}, cmd[0].text) {
			cmd = cmd[1:]
		}
		if len(cmd) == 0 || (!cmd[0].quoted && slices.Contains([]string{"for", "done", "fi", "if"}, cmd[0].text)) {
			continue
		}
		simple = append(simple, cmd)
	}
	return simple, nil
}

// Every az command the catalog can render, with a full set of ids, parses as
// a shell line and uses only subcommands and flags that az has.
func TestFixCommandsAreRealAzCommands(t *testing.T) {
	full := realIDs
	azSeen := 0
	for _, e := range Entries() {
		for _, line := range full.Finding(e.ID, "").Commands {
			cmds, err := shellCommands(line)
			if err != nil {
				t.Errorf("%s: %v in %q", e.ID, err, line)
				continue
			}
			for _, cmd := range cmds {
				if cmd[0].text != "az" {
					continue
				}
				azSeen++
				if msg := checkAz(cmd[1:]); msg != "" {
					t.Errorf("%s: %s in %q", e.ID, msg, line)
				}
			}
		}
	}
	t.Logf("%d az commands checked", azSeen)
	if azSeen < 50 {
		t.Errorf("only %d az commands seen: the parse missed them", azSeen)
	}
}

// checkAz says what is wrong with the words after "az", "" when nothing.
func checkAz(words []shellWord) string {
	var path []string
	i := 0
	for ; i < len(words) && !words[i].quoted && !strings.HasPrefix(words[i].text, "-"); i++ {
		path = append(path, words[i].text)
	}
	sub := ""
	for n := len(path); n > 0; n-- {
		if _, ok := azCommands[strings.Join(path[:n], " ")]; ok {
			sub = strings.Join(path[:n], " ")
			break
		}
	}
	if sub == "" {
		return fmt.Sprintf("az %s is not a subcommand in the table", strings.Join(path, " "))
	}
	if sub != strings.Join(path, " ") {
		return fmt.Sprintf("az %s takes no positional %q", sub, strings.Join(path[len(strings.Fields(sub)):], " "))
	}
	for _, w := range words[i:] {
		if w.quoted || !strings.HasPrefix(w.text, "-") {
			continue
		}
		flag, _, _ := strings.Cut(w.text, "=")
		if !slices.Contains(azCommands[sub], flag) && !slices.Contains(azGlobalFlags, flag) {
			return fmt.Sprintf("az %s has no flag %s", sub, flag)
		}
	}
	return ""
}

func TestShellCommandsSplitsLikeAShell(t *testing.T) {
	cmds, err := shellCommands(`for d in $(az rest --method get --uri "x?a=1&b=2" --query "value[].name" -o tsv); do az rest -m get --uri "x/$d" | jq '.a = "-b"' > f-$d.json && az rest --method put --body @f-$d.json; done`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cmds {
		var ws []string
		for _, w := range c {
			ws = append(ws, w.text)
		}
		got = append(got, strings.Join(ws, " "))
	}
	want := []string{
		"az rest --method get --uri x?a=1&b=2 --query value[].name -o tsv",
		"az rest -m get --uri x/$d",
		"jq .a = \"-b\"",
		"az rest --method put --body @f-$d.json",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	for _, bad := range []string{`az rest --uri "x`, `echo 'x`, `a $(b`, `a & b`} {
		if _, err := shellCommands(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	if msg := checkAz([]shellWord{{text: "rest"}, {text: "--bogus"}}); !strings.Contains(msg, "no flag --bogus") {
		t.Errorf("an unknown flag passes: %q", msg)
	}
	if msg := checkAz([]shellWord{{text: "ad"}, {text: "nosuch"}}); msg == "" {
		t.Error("an unknown subcommand passes")
	}
}
