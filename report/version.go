package report

import "runtime/debug"

// Version is the module version from the build info ("(devel)" from a clone).
func Version() string {
	v, _ := BuildInfo()
	return v
}

// BuildInfo returns the module version and the VCS revision when known.
func BuildInfo() (version, commit string) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown", ""
	}
	version = bi.Main.Version
	if version == "" {
		version = "(devel)"
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			commit = s.Value
		}
	}
	return version, commit
}
