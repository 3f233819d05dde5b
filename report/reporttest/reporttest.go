// Package reporttest validates reports against the JSON contract in tests.
package reporttest

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

var (
	once    sync.Once
	schema  *jsonschema.Schema
	errLoad error
)

// SchemaPath is testdata/report.schema.json at the repository root.
func SchemaPath() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "report.schema.json")
}

func load() (*jsonschema.Schema, error) {
	once.Do(func() {
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		schema, errLoad = c.Compile(SchemaPath())
	})
	return schema, errLoad
}

// Validate fails t unless data is exactly one JSON document valid against the schema.
func Validate(t testing.TB, data []byte) {
	t.Helper()
	if err := Check(data); err != nil {
		t.Fatalf("report does not match testdata/report.schema.json: %v\n%s", err, data)
	}
}

// Check returns why data is not exactly one valid report document.
func Check(data []byte) error {
	s, err := load()
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return err
	}
	if dec.More() {
		return errTrailing
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	return s.Validate(inst)
}

type trailingError struct{}

func (trailingError) Error() string { return "more than one JSON document" }

var errTrailing = trailingError{}
