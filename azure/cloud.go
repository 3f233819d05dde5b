// Package azure reads the configuration side of the setup: the APIM
// instance through Azure Resource Manager (armapimanagement) with azidentity
// credentials, every request on the project's one HTTP client. It returns
// typed snapshots and judges nothing; the checks package does that.
package azure

import (
	"fmt"
	"slices"
	"strings"
)

// Cloud is where one Azure cloud's services live. Checks compare against
// these settings, never against literal production host names.
type Cloud struct {
	Name          string
	AuthorityHost string // Entra: https://login.microsoftonline.com
	ARMEndpoint   string // Resource Manager: https://management.azure.com
	// ARMAudience is the resource ARM tokens are issued for; the scope asked
	// is ARMAudience + "/.default".
	ARMAudience   string
	GraphEndpoint string // Microsoft Graph: https://graph.microsoft.com
}

// Clouds are the presets of --cloud.
var Clouds = []Cloud{
	{
		Name: "public", AuthorityHost: "https://login.microsoftonline.com",
		ARMEndpoint: "https://management.azure.com", ARMAudience: "https://management.core.windows.net/",
		GraphEndpoint: "https://graph.microsoft.com",
	},
	{
		Name: "usgov", AuthorityHost: "https://login.microsoftonline.us",
		ARMEndpoint: "https://management.usgovcloudapi.net", ARMAudience: "https://management.core.usgovcloudapi.net/",
		GraphEndpoint: "https://graph.microsoft.us",
	},
	{
		Name: "china", AuthorityHost: "https://login.chinacloudapi.cn",
		ARMEndpoint: "https://management.chinacloudapi.cn", ARMAudience: "https://management.core.chinacloudapi.cn/",
		GraphEndpoint: "https://microsoftgraph.chinacloudapi.cn",
	},
}

// CloudNames lists the presets' names.
func CloudNames() []string {
	var out []string
	for _, c := range Clouds {
		out = append(out, c.Name)
	}
	return out
}

// CloudByName returns a preset.
func CloudByName(name string) (Cloud, error) {
	i := slices.IndexFunc(Clouds, func(c Cloud) bool { return strings.EqualFold(c.Name, strings.TrimSpace(name)) })
	if i < 0 {
		return Cloud{}, fmt.Errorf("azure: unknown cloud %q (one of %s)", name, strings.Join(CloudNames(), ", "))
	}
	return Clouds[i], nil
}
