package workflows

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/orderstack/orderstack/platform/internal/repo"
)

// TestMakeTargetsExist: every `make X` a workflow, script, make recipe or the CI entry calls is
// a target make knows.
func TestMakeTargetsExist(t *testing.T) {
	root := repo.Root(t)
	targets, err := repo.MakeTargets(root)
	if err != nil {
		t.Fatal(err)
	}
	texts := map[string]string{} // where -> text with make calls
	for _, f := range loadWorkflows(t) {
		for id, job := range f.Workflow.Jobs {
			for i, st := range job.Steps {
				texts[fmt.Sprintf("%s job %s step %d", f.Name, id, i)] = runText(st)
			}
		}
	}
	others, _ := filepath.Glob(filepath.Join(root, "scripts", "*.sh"))
	mks, _ := filepath.Glob(filepath.Join(root, "mk", "*.mk"))
	for _, p := range append(append(others, filepath.Join(root, ".ci", "run"), filepath.Join(root, "Makefile")), mks...) {
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

// checkGateOnPullRequests: the make targets CI must run on every pull request and every push to
// main (docs/cicd.md: `make test`, lint, vulncheck, e2e, scan, promtool-check; .ci/run runs the
// same). scan holds the infra security rules (Trivy) and the secret scan, promtool-check the
// alert rules: neither is part of `make test`. Deleting or narrowing ci.yml fails here; deleting
// image.yml, deploy.yml or infra.yml leaves a role no job assumes, which checkTrustExact names.
func checkGateOnPullRequests(files []File) []string {
	runs, err := Runs(files, []string{"dev", "prod"})
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	for _, sc := range []Scenario{{"pull_request", "refs/pull/1/merge"}, {"push", "refs/heads/main"}} {
		ran := map[string]bool{}
		for _, r := range runs {
			for _, st := range r.Job.Steps {
				for _, tg := range repo.MakeCalls(runText(st)) {
					ran[tg] = ran[tg] || r.Scenario == sc
				}
			}
		}
		for _, tg := range []string{"test", "lint", "vulncheck", "e2e", "scan", "promtool-check"} {
			if !ran[tg] {
				out = append(out, fmt.Sprintf("no job of %s %s runs make %s", sc.Event, sc.Ref, tg))
			}
		}
	}
	return out
}

func TestGateOnPullRequests(t *testing.T) {
	files := loadWorkflows(t)
	for _, p := range checkGateOnPullRequests(files) {
		t.Error(p)
	}
	// A deleted ci.yml, or a deleted job of it, must be noticed.
	for job, want := range map[string]string{"": "make test", "scan": "make scan", "promtool": "make promtool-check"} {
		var rest []File
		for _, f := range files {
			if f.Name == "ci.yml" && job == "" {
				continue
			}
			if f.Name == "ci.yml" {
				f, _ = Parse(f.Path, f.Source)
				if f.Workflow.Jobs[job] == nil {
					t.Fatalf("ci.yml has no job %q", job)
				}
				delete(f.Workflow.Jobs, job)
			}
			rest = append(rest, f)
		}
		got := checkGateOnPullRequests(rest)
		if !slices.Contains(got, "no job of pull_request refs/pull/1/merge runs "+want) || !slices.Contains(got, "no job of push refs/heads/main runs "+want) {
			t.Errorf("without ci.yml job %q the gate check found %q, want both events missing %s", job, got, want)
		}
	}
}
