package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/c7doctor/c7doctor/auth"
	"github.com/c7doctor/c7doctor/report"
)

func (a *app) logoutCommand() *cli.Command {
	return &cli.Command{
		Name:      "logout",
		Usage:     "remove the token cache (the sign-in c7doctor keeps between runs)",
		UsageText: "c7doctor logout [--cache-file PATH]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "cache-file", Usage: "the MSAL token cache file (default: in the user cache directory) [$C7DOCTOR_CACHE_FILE]"},
		},
		Action: func(c *cli.Context) error {
			path := c.String("cache-file")
			if path == "" {
				if v, ok := a.getenv("C7DOCTOR_CACHE_FILE"); ok && v != "" {
					path = v
				}
			}
			if path == "" {
				p, err := auth.DefaultCacheFile()
				if err != nil {
					return &exitError{code: report.ExitFailed, msg: "logout: " + err.Error()}
				}
				path = p
			}
			removed, err := auth.RemoveCache(path)
			if err != nil {
				return &exitError{code: report.ExitFailed, msg: "logout: " + err.Error()}
			}
			if removed {
				fmt.Fprintf(a.stdout, "Removed the token cache %s: the next run signs in again.\n", path)
			} else {
				fmt.Fprintf(a.stdout, "No token cache at %s: nothing to remove.\n", path)
			}
			return nil
		},
	}
}
