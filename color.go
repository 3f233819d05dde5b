package main

// colorWanted decides colour for a report on stdout. no-color.org: NO_COLOR
// counts only when it is not empty. CLICOLOR_FORCE turns colour on where no
// terminal is (a CI log that renders ANSI), but only in text: a JSON, JUnit
// or Markdown report is read by programs, which must never see escapes.
func (a *app) colorWanted(format string, noColorFlag bool) bool {
	if format != "text" || noColorFlag || a.env("NO_COLOR") != "" {
		return false
	}
	if force := a.env("CLICOLOR_FORCE"); force != "" && force != "0" {
		return true
	}
	return a.isTerminal(a.stdout)
}

// env is the value of an environment variable, "" when unset.
func (a *app) env(name string) string {
	v, _ := a.getenv(name)
	return v
}
