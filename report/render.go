package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
)

// Options shape a rendering.
type Options struct {
	// Color turns on ANSI colours (text only). The caller decides it per stream.
	Color bool
	// Verbose shows info findings in text and Markdown (JSON and JUnit
	// always carry them): without it, only what needs a person's attention.
	Verbose bool
}

// Renderer turns a report into bytes.
type Renderer func(w io.Writer, r *Report, opts Options) error

var renderers = map[string]Renderer{
	"text": RenderText,
	"json": RenderJSON,
}

// Register adds an output format.
func Register(name string, r Renderer) { renderers[name] = r }

// Formats lists the output formats, sorted.
func Formats() []string {
	out := make([]string, 0, len(renderers))
	for k := range renderers {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Render writes r in the named format.
func Render(format string, w io.Writer, r *Report, opts Options) error {
	fn, ok := renderers[format]
	if !ok {
		return fmt.Errorf("report: unknown format %q", format)
	}
	return fn(w, r, opts)
}

// RenderJSON writes the schema-versioned JSON document followed by a newline.
func RenderJSON(w io.Writer, r *Report, _ Options) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}
