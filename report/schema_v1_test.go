package report_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/c7doctor/c7doctor/report/reporttest"
)

// Reports written before the schema opened must stay valid: a consumer that
// stored one, or validates with an older copy, keeps working.
func TestSchemaAcceptsEarlierReports(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "report-v1", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no committed reports in testdata/report-v1: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		reporttest.Validate(t, data)
	}
}

// Version 1 only grows: fields it does not name yet, and inferred values it
// does not know, are valid; consumers ignore them.
func TestSchemaIsOpenToAdditions(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "report-v1", "before-coverage-obo-no-consent.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	doc["some_future_field"] = map[string]any{"x": 1}
	target := doc["target"].(map[string]any)
	target["inferred"] = []any{"tenant", "subscription"}
	target["cloud"] = "public"
	check := doc["checks"].([]any)[0].(map[string]any)
	check["new_field"] = true
	for _, c := range doc["checks"].([]any) {
		for _, f := range c.(map[string]any)["findings"].([]any) {
			f.(map[string]any)["caused_by"] = "obo"
			f.(map[string]any)["guide"] = nil
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := reporttest.Check(out); err != nil {
		t.Fatalf("schema refuses an addition: %v", err)
	}
	doc["schema_version"] = 2
	out, _ = json.Marshal(doc)
	if reporttest.Check(out) == nil {
		t.Fatal("schema accepts schema_version 2")
	}
}
