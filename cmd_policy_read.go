package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/c7doctor/c7doctor/policy"
)

// namedValueJSON is one named value as APIOps stores it (under
// "properties") or as `az apim nv list` prints it (flat).
type namedValueJSON struct {
	Name        string  `json:"name"`
	DisplayName string  `json:"displayName"`
	Value       *string `json:"value"`
	Secret      bool    `json:"secret"`
	Properties  *struct {
		DisplayName string  `json:"displayName"`
		Value       *string `json:"value"`
		Secret      bool    `json:"secret"`
	} `json:"properties"`
}

func (j namedValueJSON) namedValue() policy.NamedValue {
	name, value, secret := j.DisplayName, j.Value, j.Secret
	if j.Properties != nil {
		name, value, secret = j.Properties.DisplayName, j.Properties.Value, j.Properties.Secret
	}
	if name == "" {
		name = j.Name
	}
	nv := policy.NamedValue{Name: name, Secret: secret}
	if value != nil {
		nv.Value, nv.Known = *value, true
	}
	return nv
}

func readJSONFile(path string, v any) error {
	data, err := readFileBounded(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// readNamedValueFile reads an APIOps namedValueInformation.json; the
// folder's name is the named value's when the file does not say.
func readNamedValueFile(path string) (policy.NamedValue, error) {
	var j namedValueJSON
	if err := readJSONFile(path, &j); err != nil {
		return policy.NamedValue{}, err
	}
	nv := j.namedValue()
	if nv.Name == "" {
		nv.Name = filepath.Base(filepath.Dir(path))
	}
	return nv, nil
}

// readNamedValues reads --named-values: a folder holding APIOps
// namedValueInformation.json files, or a JSON file with a list of named
// values (`az apim nv list -o json`, or ARM's {"value": [...]}) or an
// object of name to value.
func readNamedValues(path string) (map[string]policy.NamedValue, error) {
	out := map[string]policy.NamedValue{}
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() != "namedValueInformation.json" {
				return err
			}
			nv, err := readNamedValueFile(p)
			out[nv.Name] = nv
			return err
		})
		return out, err
	}
	var raw json.RawMessage
	if err := readJSONFile(path, &raw); err != nil {
		return nil, err
	}
	var list []namedValueJSON
	var arm struct {
		Value []namedValueJSON `json:"value"`
	}
	var flat map[string]string
	switch {
	case json.Unmarshal(raw, &list) == nil:
	case json.Unmarshal(raw, &arm) == nil && arm.Value != nil:
		list = arm.Value
	case json.Unmarshal(raw, &flat) == nil:
		for k, v := range flat {
			out[k] = policy.NamedValue{Name: k, Value: v, Known: true}
		}
		return out, nil
	default:
		return nil, fmt.Errorf("%s: expected a list of named values or an object of name to value", path)
	}
	for _, j := range list {
		nv := j.namedValue()
		if nv.Name != "" {
			out[nv.Name] = nv
		}
	}
	return out, nil
}
