package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/c7doctor/c7doctor/policy"
	"github.com/c7doctor/c7doctor/wire"
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

// maxPolicyFile bounds what one document may weigh.
const maxPolicyFile = 4 << 20

// readPolicyInput reads the files and folders named on the command line.
// A folder is read as an APIOps tree: every policy document under it, its
// named values, its APIs' URL suffixes and its products' API lists.
func readPolicyInput(paths []string, format policy.Format, scope policy.Scope) (policy.Input, error) {
	var in policy.Input
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return in, err
		}
		if !st.IsDir() {
			f, err := readPolicyFile(p, format, scope)
			if err != nil {
				return in, err
			}
			in.Files = append(in.Files, f)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != p && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			return readTreeFile(&in, path, format, scope)
		})
		if err != nil {
			return in, err
		}
	}
	if len(in.Files) == 0 {
		return in, fmt.Errorf("no policy documents (*.xml) in %s", strings.Join(paths, ", "))
	}
	return in, nil
}

func readTreeFile(in *policy.Input, path string, format policy.Format, scope policy.Scope) error {
	parent := filepath.Base(filepath.Dir(filepath.Dir(path)))
	switch name := filepath.Base(path); {
	case strings.HasSuffix(name, ".xml"):
		f, err := readPolicyFile(path, format, scope)
		if err != nil {
			return err
		}
		in.Files = append(in.Files, f)
	case name == "namedValueInformation.json":
		nv, err := readNamedValueFile(path)
		if err != nil {
			return err
		}
		if in.NamedValues == nil {
			in.NamedValues = map[string]policy.NamedValue{}
		}
		in.NamedValues[nv.Name] = nv
	case name == "apiInformation.json" && parent == "apis":
		var info struct {
			Properties struct {
				Path *string `json:"path"`
			} `json:"properties"`
		}
		if err := readJSONFile(path, &info); err != nil {
			return err
		}
		if info.Properties.Path != nil {
			if in.APIPaths == nil {
				in.APIPaths = map[string]string{}
			}
			in.APIPaths[filepath.Base(filepath.Dir(path))] = *info.Properties.Path
		}
	case name == "apis.json" && parent == "products":
		var apis []struct {
			Name string `json:"name"`
		}
		if err := readJSONFile(path, &apis); err != nil {
			return err
		}
		if in.ProductAPIs == nil {
			in.ProductAPIs = map[string][]string{}
		}
		product := filepath.Base(filepath.Dir(path))
		for _, api := range apis {
			in.ProductAPIs[product] = append(in.ProductAPIs[product], api.Name)
		}
	}
	return nil
}

func readPolicyFile(path string, format policy.Format, scope policy.Scope) (policy.File, error) {
	data, err := readFileBounded(path)
	if err != nil {
		return policy.File{}, err
	}
	return policy.File{Path: filepath.ToSlash(filepath.Clean(path)), Content: string(data), Format: format, Scope: scope}, nil
}

func readFileBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, truncated, err := wire.ReadLimited(f, maxPolicyFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if truncated {
		return nil, fmt.Errorf("%s: larger than %d MiB", path, maxPolicyFile>>20)
	}
	return data, nil
}
