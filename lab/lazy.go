package lab

import (
	"html/template"
	"regexp"
	"sync"
)

// The lab's expressions and pages are built on their first use, not at
// start-up: every c7doctor command links the lab, few serve it.

func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

func lazyTemplate(name, text string) func() *template.Template {
	return sync.OnceValue(func() *template.Template { return template.Must(template.New(name).Parse(text)) })
}
