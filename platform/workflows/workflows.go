// Package workflows checks the GitHub Actions workflows (.github/workflows)
// and the deploy scripts (scripts/) offline: actionlint on every workflow,
// the repository's policy (pinned actions, least privilege, OIDC only,
// timeouts, concurrency, deploy by digest, existing make targets) and the
// scripts' behaviour with fake tools on PATH.
package workflows

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/rhysd/actionlint"
)

// File is one parsed workflow.
type File struct {
	Path     string // absolute
	Name     string // file name, e.g. ci.yml
	Source   []byte
	Workflow *actionlint.Workflow
}

// RepoRoot returns the repository root, found from dir upwards by go.work.
func RepoRoot(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.work")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.work above %s", dir)
		}
	}
}

// Load parses every workflow under root/.github/workflows.
func Load(root string) ([]File, error) {
	paths, err := WorkflowPaths(root)
	if err != nil {
		return nil, err
	}
	var files []File
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		f, err := Parse(p, src)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// Parse parses one workflow's source; path names it.
func Parse(path string, src []byte) (File, error) {
	wf, errs := actionlint.Parse(src)
	if len(errs) > 0 {
		return File{}, fmt.Errorf("parse %s: %v", path, errs[0])
	}
	return File{Path: path, Name: filepath.Base(path), Source: src, Workflow: wf}, nil
}

// WorkflowPaths lists the workflow files, sorted.
func WorkflowPaths(root string) ([]string, error) {
	var paths []string
	for _, pattern := range []string{"*.yml", "*.yaml"} {
		m, err := filepath.Glob(filepath.Join(root, ".github", "workflows", pattern))
		if err != nil {
			return nil, err
		}
		paths = append(paths, m...)
	}
	sort.Strings(paths)
	if len(paths) == 0 {
		return nil, fmt.Errorf("no workflows in %s/.github/workflows", root)
	}
	return paths, nil
}

var targetLine = regexp.MustCompile(`^([A-Za-z0-9_.-]+(?:[ \t]+[A-Za-z0-9_.-]+)*)[ \t]*:([^=]|$)`)

// MakeTargets returns the targets defined in root/Makefile and
// root/mk/*.mk (explicit rules only; pattern rules and variables are not
// targets anyone calls by name).
func MakeTargets(root string) (map[string]bool, error) {
	files, err := filepath.Glob(filepath.Join(root, "mk", "*.mk"))
	if err != nil {
		return nil, err
	}
	files = append([]string{filepath.Join(root, "Makefile")}, files...)
	targets := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "\t") || strings.HasPrefix(line, "#") {
				continue
			}
			m := targetLine.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			for _, t := range strings.Fields(m[1]) {
				if !strings.HasPrefix(t, ".") { // .PHONY and friends
					targets[t] = true
				}
			}
		}
	}
	return targets, nil
}

var makeTarget = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// makeCall finds make in command position: at the start of a line or after
// ; & | ( ! then do else, with optional VAR=value prefixes.
var makeCall = regexp.MustCompile(`(?m)(?:^|[;&|(!{` + "`" + `]|\bthen\b|\bdo\b|\belse\b)[ \t]*(?:[A-Za-z_][A-Za-z0-9_]*=\S*[ \t]+)*(?:make|\$\(MAKE\))[ \t]+([^\n;&|)]*)`)

var (
	expression = regexp.MustCompile(`\$\{\{.*?\}\}`)
	comment    = regexp.MustCompile(`(?m)(^|[ \t])#.*$`)
	quoted     = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'[^']*'`)
)

// MakeCalls returns the make targets that shell text calls: the bare words
// after `make` in command position, skipping options (and the argument of
// -C, -f, -j) and VAR=value assignments. Line continuations are joined,
// and ${{ }} expressions, comments and quoted strings are blanked first, so
// a make named inside a comment or a message is not a call.
func MakeCalls(text string) []string {
	text = strings.ReplaceAll(text, "\\\n", " ")
	text = expression.ReplaceAllString(text, "X")
	text = comment.ReplaceAllString(text, "$1")
	text = quoted.ReplaceAllString(text, "Q")
	var targets []string
	for _, m := range makeCall.FindAllStringSubmatch(text, -1) {
		words := strings.Fields(m[1])
	words:
		for i := 0; i < len(words); i++ {
			w := words[i]
			switch {
			case strings.HasPrefix(w, "#"):
				break words // a comment ends the command
			case w == "-C" || w == "-f" || w == "-j" || w == "--directory" || w == "--file":
				i++ // its argument
			case strings.HasPrefix(w, "-"), strings.Contains(w, "="), strings.ContainsAny(w, `$<>`):
			case makeTarget.MatchString(w):
				targets = append(targets, w)
			}
		}
	}
	return targets
}
