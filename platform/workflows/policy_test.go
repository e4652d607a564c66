package workflows

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/orderstack/orderstack/platform/internal/repo"
	"github.com/rhysd/actionlint"
)

// The repository's workflow rules (permissions, OIDC only, timeouts, concurrency, paths, checkout
// credentials, no ${{ }} in run:, deploys through the scripts, apply the reviewed plan) are Rego in
// policy/workflows.rego, run by conftest in make test-workflows.

func loadWorkflows(tb testing.TB) []File {
	tb.Helper()
	files, err := Load(repo.Root(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

// TestActionlint runs actionlint (as a library) on every workflow: zero findings. Its shellcheck
// integration checks the run: scripts when shellcheck is installed (GitHub's runners have it).
func TestActionlint(t *testing.T) {
	root := repo.Root(t)
	paths, err := WorkflowPaths(root)
	if err != nil {
		t.Fatal(err)
	}
	opts := &actionlint.LinterOptions{WorkingDir: root}
	opts.Shellcheck, _ = exec.LookPath("shellcheck")
	var out bytes.Buffer
	l, err := actionlint.NewLinter(&out, opts)
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.LintFiles(paths, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Errorf("actionlint: %s:%d:%d: %s [%s]", filepath.Base(e.Filepath), e.Line, e.Column, e.Message, e.Kind)
	}
}

// TestActionsPinnedBySHA: every action is pinned to a full commit with a "# vX.Y.Z" comment naming
// the release (a comment, so Rego on the parsed YAML cannot see it); local workflows are exempt.
func TestActionsPinnedBySHA(t *testing.T) {
	line := regexp.MustCompile(`^\s*(?:-\s+)?uses:\s*(\S+)(.*)$`)
	pinned := regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$`)
	version := regexp.MustCompile(`^\s+#\s*v?\d+(\.\d+){1,2}\b`)
	n := 0
	for _, f := range loadWorkflows(t) {
		for i, l := range strings.Split(string(f.Source), "\n") {
			if m := line.FindStringSubmatch(l); m != nil && !strings.HasPrefix(m[1], "./") {
				n++
				if !pinned.MatchString(m[1]) || !version.MatchString(m[2]) {
					t.Errorf("%s:%d: uses %s%s, want owner/repo@<40-hex commit SHA> # vX.Y.Z", f.Name, i+1, m[1], m[2])
				}
			}
		}
	}
	if n == 0 {
		t.Error("found no uses: lines at all")
	}
}
