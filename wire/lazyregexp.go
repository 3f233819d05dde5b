package wire

import (
	"regexp"
	"sync"
)

// LazyRegexp is a regular expression compiled on first use, not at start-up:
// a command that never redacts or parses never pays for it.
type LazyRegexp struct {
	expr string
	once sync.Once
	re   *regexp.Regexp
}

// NewLazyRegexp returns expr, to be compiled (and to panic if invalid, as
// regexp.MustCompile does) on first use.
func NewLazyRegexp(expr string) *LazyRegexp { return &LazyRegexp{expr: expr} }

// Regexp is the compiled expression.
func (l *LazyRegexp) Regexp() *regexp.Regexp {
	l.once.Do(func() { l.re = regexp.MustCompile(l.expr) })
	return l.re
}

func (l *LazyRegexp) MatchString(s string) bool      { return l.Regexp().MatchString(s) }
func (l *LazyRegexp) FindString(s string) string     { return l.Regexp().FindString(s) }
func (l *LazyRegexp) FindStringIndex(s string) []int { return l.Regexp().FindStringIndex(s) }
func (l *LazyRegexp) FindStringSubmatch(s string) []string {
	return l.Regexp().FindStringSubmatch(s)
}
func (l *LazyRegexp) FindSubmatch(b []byte) [][]byte { return l.Regexp().FindSubmatch(b) }
func (l *LazyRegexp) FindAllString(s string, n int) []string {
	return l.Regexp().FindAllString(s, n)
}
func (l *LazyRegexp) FindAllStringSubmatch(s string, n int) [][]string {
	return l.Regexp().FindAllStringSubmatch(s, n)
}
func (l *LazyRegexp) ReplaceAllString(src, repl string) string {
	return l.Regexp().ReplaceAllString(src, repl)
}
func (l *LazyRegexp) ReplaceAllStringFunc(src string, repl func(string) string) string {
	return l.Regexp().ReplaceAllStringFunc(src, repl)
}
