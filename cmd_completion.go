package main

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/c7doctor/c7doctor/checks"
	"github.com/c7doctor/c7doctor/lab"
	"github.com/c7doctor/c7doctor/policy"
	"github.com/c7doctor/c7doctor/report"
)

// Shell completion. urfave/cli v2's own protocol (--generate-bash-completion)
// reads the word before the cursor from os.Args and completes flag names
// only, never their values; c7doctor's values are what a person most wants
// completed (check ids, formats, faults, files). So every shell's script
// asks one hidden command, `c7doctor __complete WORDS… CURRENT`, which walks
// the same command tree the CLI runs and prints one candidate a line, with
// a tab and a description where the shell can show one.

// filesDirective is printed alone when the shell should complete file names.
const filesDirective = ":files"

func (a *app) completionCommand() *cli.Command {
	return &cli.Command{
		Name:  "completion",
		Usage: "print the shell completion script for bash, zsh, fish or powershell",
		UsageText: "c7doctor completion bash|zsh|fish|powershell\n\n" +
			"   bash:        source <(c7doctor completion bash)      # in ~/.bashrc\n" +
			"   zsh:         source <(c7doctor completion zsh)       # in ~/.zshrc, after compinit\n" +
			"   fish:        c7doctor completion fish > ~/.config/fish/completions/c7doctor.fish\n" +
			"   powershell:  c7doctor completion powershell | Out-String | Invoke-Expression   # in $PROFILE",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageError("completion: expected one shell: bash, zsh, fish or powershell")
			}
			script, ok := completionScripts[c.Args().First()]
			if !ok {
				return usageError("completion: unknown shell %q (expected bash, zsh, fish or powershell)", c.Args().First())
			}
			_, err := fmt.Fprint(a.stdout, script)
			return err
		},
	}
}

func (a *app) completeCommand() *cli.Command {
	return &cli.Command{
		Name:            "__complete",
		Hidden:          true,
		SkipFlagParsing: true,
		Usage:           "print completion candidates for the words of a command line (used by the completion scripts)",
		Action: func(c *cli.Context) error {
			var b strings.Builder
			for _, cand := range completeWords(a.cli(), c.Args().Slice()) {
				b.WriteString(cand + "\n")
			}
			_, err := fmt.Fprint(a.stdout, b.String())
			return err
		},
	}
}

// completeWords returns the candidates for the last of words (the words
// after the program name; the last one is being typed and may be empty).
// Candidates are whole words: a shell that completes only the part after a
// "=" trims them itself.
func completeWords(app *cli.App, words []string) []string {
	if len(words) == 0 {
		words = []string{""}
	}
	// PowerShell 5 drops an empty argument; its script sends a space.
	cur := strings.TrimSpace(words[len(words)-1])
	prev := words[:len(words)-1]

	cmds, flags := app.Commands, app.Flags
	var cmd *cli.Command
	var pending cli.Flag // a flag whose value the next word is
	for _, w := range prev {
		switch {
		case pending != nil:
			pending = nil
		case w == "--":
			return nil // after --, nothing is a flag
		case strings.HasPrefix(w, "-") && len(w) > 1:
			name, _, inline := strings.Cut(strings.TrimLeft(w, "-"), "=")
			if f := findFlag(flags, name); f != nil && takesValue(f) && !inline {
				pending = f
			}
		default:
			if sub := findCommand(cmds, w); sub != nil {
				cmd, cmds, flags = sub, sub.Subcommands, sub.Flags
			} else if len(visible(cmds)) > 0 {
				return nil // not a command: nothing sensible follows
			}
		}
	}
	switch {
	case pending != nil:
		return flagValues(cmd, pending, cur, "")
	case strings.HasPrefix(cur, "-"):
		if name, value, ok := strings.Cut(strings.TrimLeft(cur, "-"), "="); ok {
			if f := findFlag(flags, name); f != nil {
				dashes := cur[:len(cur)-len(strings.TrimLeft(cur, "-"))]
				return flagValues(cmd, f, value, dashes+name+"=")
			}
			return nil
		}
		return withPrefix(cur, flagNames(flags))
	case len(visible(cmds)) > 0:
		return withPrefix(cur, commandNames(cmds))
	case cmd != nil && cmd.Name == "lint":
		return []string{filesDirective}
	case cmd != nil:
		return withPrefix(cur, positionalValues(cmd))
	}
	return nil
}

func findFlag(flags []cli.Flag, name string) cli.Flag {
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

func takesValue(f cli.Flag) bool {
	if v, ok := f.(interface{ TakesValue() bool }); ok {
		return v.TakesValue()
	}
	return false
}

func visible(cmds []*cli.Command) []*cli.Command {
	var out []*cli.Command
	for _, c := range cmds {
		if !c.Hidden {
			out = append(out, c)
		}
	}
	return out
}

func commandNames(cmds []*cli.Command) []string {
	var out []string
	for _, c := range visible(cmds) {
		out = append(out, c.Name+"\t"+c.Usage)
	}
	return out
}

func flagNames(flags []cli.Flag) []string {
	var out []string
	for _, f := range flags {
		usage := ""
		if u, ok := f.(interface{ GetUsage() string }); ok {
			usage = u.GetUsage()
			// The environment variable is noise in a completion menu.
			if i := strings.Index(usage, " [$"); i >= 0 {
				usage = usage[:i]
			}
		}
		for _, n := range f.Names() {
			if len(n) == 1 {
				out = append(out, "-"+n+"\t"+usage)
			} else {
				out = append(out, "--"+n+"\t"+usage)
			}
		}
	}
	out = append(out, "--help\tshow help")
	return out
}

// flagValues completes a flag's value; prefix is put back in front of each
// candidate when the value is typed in the same word as the flag (--o=x).
func flagValues(cmd *cli.Command, f cli.Flag, cur, prefix string) []string {
	name := f.Names()[0]
	var cands []string
	switch {
	case name == "output" && cmd != nil && cmd.Name == "lint":
		cands = policyOutputs
	case name == "output" && cmd != nil && slices.Contains([]string{"checks", "explain", "decode"}, cmd.Name):
		cands = []string{"text", "json"}
	case name == "format":
		cands = []string{"auto", "xml", "rawxml"}
	case name == "scope":
		for _, sc := range policy.Scopes {
			cands = append(cands, string(sc))
		}
	case name == "named-values":
		return []string{filesDirective}
	case name == "output":
		cands = report.Formats()
	case name == "out":
		format, _, hasFile := strings.Cut(cur, "=")
		if hasFile && format != "" {
			return []string{filesDirective}
		}
		for _, fm := range report.Formats() {
			cands = append(cands, fm+"=")
		}
	case name == "only" || name == "skip" || name == "require":
		return withPrefix(prefix+cur, idList(cur, checkIDs(), prefix))
	case name == "flow":
		cands = []string{checks.FlowDeviceCode + "\tsign in with a device code", checks.FlowBrowser + "\tsign in through the gateway in a browser, as MCP clients do"}
	case name == "fault":
		for _, fl := range lab.Faults() {
			cands = append(cands, fl.Name+"\t"+fl.Behaviour)
		}
	case name == "config" || name == "file" || strings.HasSuffix(name, "-file"):
		return []string{filesDirective}
	default:
		return nil
	}
	for i := range cands {
		cands[i] = prefix + cands[i]
	}
	return withPrefix(prefix+cur, cands)
}

func checkIDs() []string {
	var ids []string
	for _, c := range checks.All {
		ids = append(ids, c.ID+"\t"+c.Title)
	}
	return ids
}

// idList completes the last id of a comma-separated list, leaving out the
// ids already in it.
func idList(cur string, ids []string, prefix string) []string {
	done := ""
	if i := strings.LastIndex(cur, ","); i >= 0 {
		done = cur[:i+1]
	}
	have := map[string]bool{}
	for _, id := range strings.Split(done, ",") {
		have[strings.TrimSpace(id)] = true
	}
	var out []string
	for _, id := range ids {
		name, _, _ := strings.Cut(id, "\t")
		if !have[name] {
			out = append(out, prefix+done+id)
		}
	}
	return out
}

func positionalValues(cmd *cli.Command) []string {
	switch cmd.Name {
	case "completion":
		return []string{"bash", "zsh", "fish", "powershell"}
	case "explain":
		var out []string
		for _, e := range checks.Entries() {
			out = append(out, e.ID+"\t"+e.Title)
		}
		return out
	}
	return nil
}

// withPrefix keeps the candidates that start with cur, sorted, without
// duplicates.
func withPrefix(cur string, cands []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range cands {
		word, _, _ := strings.Cut(c, "\t")
		if strings.HasPrefix(word, cur) && !seen[word] {
			seen[word] = true
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}

var completionScripts = map[string]string{
	"bash":       bashCompletion,
	"zsh":        zshCompletion,
	"fish":       fishCompletion,
	"powershell": powershellCompletion,
}

// bash: the words are taken from the line itself, not COMP_WORDS, which
// bash splits at "=" and ":"; candidates are then trimmed to the part bash
// replaces.
const bashCompletion = `# bash completion for c7doctor
# Load it in ~/.bashrc:  source <(c7doctor completion bash)
_c7doctor() {
	local line=${COMP_LINE:0:COMP_POINT}
	local -a words
	read -r -a words <<<"$line"
	[[ $line == *[[:space:]] || ${#words[@]} -eq 0 ]] && words+=("")
	local word=${words[${#words[@]}-1]}
	local out
	out=$("${words[0]}" __complete "${words[@]:1}" 2>/dev/null) || return 0
	if [[ $out == ":files" ]]; then
		compopt -o default 2>/dev/null
		COMPREPLY=()
		return 0
	fi
	local IFS=$'\n'
	local -a cands=($out)
	cands=("${cands[@]%%$'\t'*}")
	# bash replaces only the text after the last "=" or ":" of the word.
	local pre=""
	if [[ $word == *[=:]* ]]; then
		pre=${word%"${word##*[=:]}"}
	fi
	COMPREPLY=()
	local c
	for c in "${cands[@]}"; do
		COMPREPLY+=("${c#"$pre"}")
	done
	if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]]; then
		compopt -o nospace 2>/dev/null
	fi
	return 0
}
complete -F _c7doctor c7doctor
`

const zshCompletion = `#compdef c7doctor
# zsh completion for c7doctor
# Load it in ~/.zshrc, after compinit:  source <(c7doctor completion zsh)
# or save it as _c7doctor in a folder of $fpath.
_c7doctor() {
	local -a lines cands nospace
	lines=("${(@f)$("${words[1]}" __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}")
	if [[ "${lines[1]}" == ":files" ]]; then
		compset -P '*='  # --out FORMAT=FILE: complete the part after "="
		_files
		return
	fi
	local l
	for l in "${lines[@]}"; do
		[[ -z "$l" ]] && continue
		if [[ "${l%%$'\t'*}" == *= ]]; then
			nospace+=("${l%%$'\t'*}")
		elif [[ "$l" == *$'\t'* ]]; then
			cands+=("${${l%%$'\t'*}//:/\\:}:${l#*$'\t'}")
		else
			cands+=("${l//:/\\:}")
		fi
	done
	(( ${#nospace} )) && compadd -S '' -- "${nospace[@]}"
	(( ${#cands} )) && _describe -t values 'c7doctor' cands
}
if [[ "$funcstack[1]" == "_c7doctor" ]]; then
	_c7doctor "$@"
else
	compdef _c7doctor c7doctor
fi
`

const fishCompletion = `# fish completion for c7doctor
# Save it:  c7doctor completion fish > ~/.config/fish/completions/c7doctor.fish
function __c7doctor_complete
	set -l tokens (commandline -opc)
	set -l current (commandline -ct)
	set -l out (command $tokens[1] __complete $tokens[2..-1] "$current" 2>/dev/null)
	if test "$out[1]" = ":files"
		# --out FORMAT=FILE and --flag=FILE: complete the part after "=".
		set -l pre (string match -r '^.*=' -- "$current")
		set -l path (string replace -r '^.*=' '' -- "$current")
		for p in (__fish_complete_path "$path")
			printf '%s%s\n' "$pre" "$p"
		end
		return
	end
	printf '%s\n' $out
end
complete -c c7doctor -f -a '(__c7doctor_complete)'
`

// PowerShell: Windows PowerShell 5.1 drops empty arguments to native
// commands, so an empty current word is sent as a space.
const powershellCompletion = `# PowerShell completion for c7doctor
# Load it in $PROFILE:  c7doctor completion powershell | Out-String | Invoke-Expression
Register-ArgumentCompleter -Native -CommandName 'c7doctor', 'c7doctor.exe' -ScriptBlock {
	param($wordToComplete, $commandAst, $cursorPosition)
	$elements = @($commandAst.CommandElements | Where-Object { $_.Extent.StartOffset -lt $cursorPosition })
	$program = $elements[0].ToString()
	$words = @()
	$rest = @($elements | Select-Object -Skip 1)
	foreach ($e in $rest) {
		if ($e.Extent.EndOffset -lt $cursorPosition -or $e.ToString() -ne $wordToComplete) { $words += $e.ToString() }
	}
	$current = if ($wordToComplete) { $wordToComplete } else { ' ' }
	$out = @(& $program __complete @words $current 2>$null)
	if ($out.Count -gt 0 -and $out[0] -eq ':files') {
		# --out FORMAT=FILE and --flag=FILE: complete the part after "=".
		$pre = ''
		$path = $wordToComplete
		$eq = $wordToComplete.LastIndexOf('=')
		if ($eq -ge 0) { $pre = $wordToComplete.Substring(0, $eq + 1); $path = $wordToComplete.Substring($eq + 1) }
		$dir = Split-Path -Path $path -Parent
		Get-ChildItem -Path "$path*" -ErrorAction SilentlyContinue | ForEach-Object {
			$name = if ($dir) { Join-Path $dir $_.Name } else { $_.Name }
			[System.Management.Automation.CompletionResult]::new("$pre$name", $_.Name, 'ProviderItem', $_.Name)
		}
		return
	}
	foreach ($line in $out) {
		$parts = $line -split "` + "`" + `t", 2
		$tip = if ($parts.Count -gt 1 -and $parts[1]) { $parts[1] } else { $parts[0] }
		[System.Management.Automation.CompletionResult]::new($parts[0], $parts[0], 'ParameterValue', $tip)
	}
}
`
