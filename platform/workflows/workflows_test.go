package workflows

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/orderstack/orderstack/platform/internal/repo"
)

// The repository's workflow rules (permissions, OIDC only, timeouts, concurrency, paths, checkout
// credentials, no ${{ }} in run:, deploys through the scripts, apply the reviewed plan) are Rego in
// policy/workflows.rego, run by conftest in make test-workflows.

func loadWorkflows(tb testing.TB) []File { return must(Load(repo.Root(tb))) }

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

// TestMakeTargetsExist: every `make X` a workflow, script, make recipe or the CI entry calls is
// a target make knows.
func TestMakeTargetsExist(t *testing.T) {
	root := repo.Root(t)
	targets := must(repo.MakeTargets(root))
	texts := map[string]string{} // where -> text with make calls
	for _, f := range loadWorkflows(t) {
		for id, job := range f.Workflow.Jobs {
			for i, st := range job.Steps {
				texts[fmt.Sprintf("%s job %s step %d", f.Name, id, i)] = runText(st)
			}
		}
	}
	paths, _ := filepath.Glob(filepath.Join(root, "[sm]*", "*.[sm][hk]")) // scripts/*.sh, mk/*.mk
	for _, p := range append(paths, filepath.Join(root, ".ci", "run"), filepath.Join(root, "Makefile")) {
		if b, err := os.ReadFile(p); err == nil {
			texts[p] = string(b)
		}
	}
	n := 0
	for where, text := range texts {
		for _, tg := range repo.MakeCalls(text) {
			n++
			if _, ok := targets[tg]; !ok {
				t.Errorf("%s calls `make %s`, which no Makefile or mk/*.mk defines", where, tg)
			}
		}
	}
	if n < 5 {
		t.Fatalf("found only %d make calls; the parser is not finding them", n)
	}
}
