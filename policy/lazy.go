package policy

import (
	"regexp"
	"sync"
)

// lazyRegexp compiles expr on its first use, not at start-up: linting is one
// command of many, and the others should not pay for its expressions.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
