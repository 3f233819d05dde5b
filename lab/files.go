package lab

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// Files are the paths WriteFiles wrote.
type Files struct {
	Dir    string // where they are
	CA     string // ca.pem: the lab's CA, to trust its HTTPS servers
	Secret string // gateway-secret (0600): the gateway app's client secret
	// ReaderSecret is reader-secret (0600): the client secret of the service
	// principal that reads the instance from ARM.
	ReaderSecret string
	Cache        string // msal-cache.json: where runs keep the lab's tokens (written by c7doctor)
	Config       string // c7doctor.yaml: settings that `c7doctor run --config` takes
	Token        string // gateway-token (0600): a token of the lab's first user, for runs without a terminal
}

// TokenCommand is the command that checks the whole path where no terminal
// is available (CI, a pipe): device code needs one, so it passes a token.
func (f Files) TokenCommand() string {
	return f.RunCommand() + " --token-file " + filesShellQuote(f.Token)
}

// RunCommand is the command line that checks the lab with these files.
func (f Files) RunCommand() string {
	return "c7doctor run --config " + filesShellQuote(f.Config)
}

// WriteFiles writes, in dir (created if missing), what a run against this
// world needs: the CA certificate, the gateway secret (mode 0600) and a
// config file naming both. It returns their absolute paths.
func (w *World) WriteFiles(dir string) (Files, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Files{}, fmt.Errorf("lab files: %w", err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return Files{}, fmt.Errorf("lab files: %w", err)
	}
	f := Files{
		Dir:          abs,
		CA:           filepath.Join(abs, "ca.pem"),
		Secret:       filepath.Join(abs, "gateway-secret"),
		ReaderSecret: filepath.Join(abs, "reader-secret"),
		Cache:        filepath.Join(abs, "msal-cache.json"),
		Config:       filepath.Join(abs, "c7doctor.yaml"),
		Token:        filepath.Join(abs, "gateway-token"),
	}
	if err := filesWrite(f.Token, []byte(w.MintToken(w.UserTokenClaims(w.Users[0]))), 0o600); err != nil {
		return Files{}, err
	}
	if err := filesWrite(f.CA, w.CAPEM, 0o644); err != nil {
		return Files{}, err
	}
	if err := filesWrite(f.ReaderSecret, []byte(w.ReaderSecret), 0o600); err != nil {
		return Files{}, err
	}
	if err := filesWrite(f.Secret, []byte(w.GatewaySecret), 0o600); err != nil {
		return Files{}, err
	}
	cfg, err := yaml.Marshal(w.Settings(f))
	if err != nil {
		return Files{}, fmt.Errorf("lab files: config: %w", err)
	}
	var doc bytes.Buffer
	fmt.Fprintf(&doc, "# c7doctor settings for the lab served by `c7doctor lab` (faults: %s).\n", w.faultList())
	doc.WriteString("# Valid while that lab runs: its ports, CA and secret are new each time.\n")
	doc.Write(cfg)
	if err := filesWrite(f.Config, doc.Bytes(), 0o644); err != nil {
		return Files{}, err
	}
	return f, nil
}

func (w *World) faultList() string {
	var on []string
	for _, f := range Faults() {
		if w.Has(f.Name) {
			on = append(on, f.Name)
		}
	}
	if len(on) == 0 {
		return "none"
	}
	return strings.Join(on, ", ")
}

// filesWrite writes data to path with exactly mode, even over an existing
// file that had looser permissions.
func filesWrite(path string, data []byte, mode os.FileMode) error {
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return fmt.Errorf("lab files: %w", err)
	}
	if err := fh.Chmod(mode); err != nil {
		fh.Close()
		return fmt.Errorf("lab files: %w", err)
	}
	if _, err := fh.Write(data); err != nil {
		fh.Close()
		return fmt.Errorf("lab files: %s: %w", path, err)
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("lab files: %s: %w", path, err)
	}
	return nil
}

// filesShellQuote quotes s for a POSIX shell when it needs it.
func filesShellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@+,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
