package mongodb

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"regexp"
	"strings"
)

// Finding is one line that looks like secret material.
type Finding struct {
	Path string
	Line int
	Rule string
}

func (f Finding) String() string { return fmt.Sprintf("%s:%d: %s", f.Path, f.Line, f.Rule) }

// secretRules match one line each. Placeholders (<password>, $VAR, ${VAR}, Helm templates)
// are not secrets and are filtered out by isPlaceholder.
var secretRules = []struct {
	name string
	re   *regexp.Regexp
	// value is the capture group holding the would-be secret, checked by isPlaceholder (0: none).
	value int
}{
	{"private key", regexp.MustCompile(`-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----`), 0},
	{"AWS access key id", regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`), 0},
	{"AWS secret access key", regexp.MustCompile(`(?i)aws_?secret_?access_?key["']?\s*[:=]\s*["']?([^\s"']+)`), 1},
	{"password in a URI", regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@{}"'<]+:([^/\s@"']+)@`), 1},
	{"credential value", regexp.MustCompile(`(?i)^\s*-?\s*["']?[A-Za-z0-9_.-]*(password|passwd|pwd|token|apikey|api_key|secretkey|secret_key|accesskey|access_key|privatekey|private_key)["']?\s*[:=]\s*(.*?)\s*(#.*)?$`), 2},
}

var placeholder = regexp.MustCompile(`^(|""|''|\{\}|\[\]|\{|\[|~|null|true|false|<[^>]*>|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\*+|x+|\.\.\.|["']?[A-Z][A-Z0-9]*(_[A-Z0-9]+)+["']?,?)$`)

// isPlaceholder reports whether a matched value is not a literal secret: empty, a
// placeholder, a boolean, the opening of a nested object or list (a JSON schema's
// "caSecretKey": {), the NAME of a key such as MONGODB_CA_CRT (a reference to where
// a secret lives, not the secret), or produced by a template (Helm {{ }}, Terraform ${ }).
func isPlaceholder(v string) bool {
	v = strings.TrimSpace(v)
	return placeholder.MatchString(v) || strings.Contains(v, "{{") || strings.Contains(v, "${")
}

// ScanForSecrets reads every text file of fsys and returns the lines that look like secret
// material, and the number of files read. Binary files (a NUL byte) are skipped.
func ScanForSecrets(fsys fs.FS) ([]Finding, int, error) {
	var findings []Finding
	files := 0
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		data, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		if bytes.IndexByte(data, 0) >= 0 {
			return nil
		}
		files++
		scanner := bufio.NewScanner(bytes.NewReader(data))
		scanner.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
		for n := 1; scanner.Scan(); n++ {
			line := scanner.Text()
			for _, rule := range secretRules {
				m := rule.re.FindStringSubmatch(line)
				if m == nil || (rule.value > 0 && isPlaceholder(m[rule.value])) {
					continue
				}
				findings = append(findings, Finding{Path: path, Line: n, Rule: rule.name})
			}
		}
		return scanner.Err()
	})
	return findings, files, err
}
