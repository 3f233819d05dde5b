package main

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"
	"gopkg.in/yaml.v3"
)

// envName is the environment variable that may set a flag.
func envName(flag string) string {
	return "C7DOCTOR_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// withEnvNames appends "[$C7DOCTOR_X]" to each flag's usage so help shows it.
func withEnvNames(flags []cli.Flag) []cli.Flag {
	for _, f := range flags {
		name := f.Names()[0]
		if name == "config" {
			continue
		}
		suffix := " [$" + envName(name) + "]"
		switch f := f.(type) {
		case *cli.StringFlag:
			f.Usage += suffix
		case *cli.BoolFlag:
			f.Usage += suffix
		case *cli.DurationFlag:
			f.Usage += suffix
		case *cli.StringSliceFlag:
			f.Usage += suffix
		case *cli.IntFlag:
			f.Usage += suffix
		}
	}
	return flags
}

// applySettings fills each flag not given on the command line from the
// environment, then from the config file: flag > env > file > default.
// Keys named in others are valid in the file but belong to another
// command's flags: they are passed over, and any other unknown key is refused.
func (a *app) applySettings(c *cli.Context, defaultConfig string, others ...string) error {
	if err := a.applyEnv(c); err != nil {
		return err
	}
	path := c.String("config")
	explicit := c.IsSet("config")
	if v, ok := a.getenv("C7DOCTOR_CONFIG"); ok && !explicit && v != "" {
		path, explicit = v, true
	}
	if path == "" {
		if _, err := os.Stat(defaultConfig); err != nil {
			return nil
		}
		path = defaultConfig
	}
	values, err := readConfig(path)
	if err != nil {
		return usageError("--config: %v", err)
	}
	known := map[string]cli.Flag{}
	for _, f := range c.Command.Flags {
		known[f.Names()[0]] = f
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, ok := known[k]; (!ok || k == "config") && slices.Contains(others, k) {
			continue
		}
		if _, ok := known[k]; !ok || k == "config" {
			return usageError("--config %s: unknown key %q (keys are the long names of the run flags)", path, k)
		}
		if c.IsSet(k) {
			continue
		}
		for _, v := range values[k] {
			if err := c.Set(k, v); err != nil {
				return usageError("--config %s: %s: %v", path, k, err)
			}
		}
	}
	return nil
}

// applyEnv fills each flag that has an environment variable and was not
// given on the command line.
func (a *app) applyEnv(c *cli.Context) error {
	for _, f := range c.Command.Flags {
		name := f.Names()[0]
		if name == "config" || c.IsSet(name) || !strings.Contains(flagUsage(f), "[$"+envName(name)+"]") {
			continue
		}
		if v, ok := a.getenv(envName(name)); ok && v != "" {
			if err := c.Set(name, v); err != nil {
				return usageError("$%s: %v", envName(name), err)
			}
		}
	}
	return nil
}

// flagUsage is a flag's usage text.
func flagUsage(f cli.Flag) string {
	if d, ok := f.(cli.DocGenerationFlag); ok {
		return d.GetUsage()
	}
	return ""
}

// setValues sets flags from a struct whose yaml tags are flag names, over
// every other source.
func setValues(c *cli.Context, settings any) error {
	data, err := yaml.Marshal(settings)
	if err != nil {
		return err
	}
	values, err := parseConfig("settings", data)
	if err != nil {
		return err
	}
	for k, vs := range values {
		for _, v := range vs {
			if err := c.Set(k, v); err != nil {
				return fmt.Errorf("settings: %s: %w", k, err)
			}
		}
	}
	return nil
}

// readConfig reads a YAML mapping of flag names to scalars or lists.
func readConfig(path string) (map[string][]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseConfig(path, data)
}

func parseConfig(path string, data []byte) (map[string][]string, error) {
	var raw map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := map[string][]string{}
	for k, v := range raw {
		switch v := v.(type) {
		case nil:
		case []any:
			for _, e := range v {
				out[k] = append(out[k], fmt.Sprint(e))
			}
		case map[string]any:
			return nil, fmt.Errorf("%s: %s: expected a value or a list, got a mapping", path, k)
		default:
			out[k] = []string{fmt.Sprint(v)}
		}
	}
	return out, nil
}
