package workflows

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/orderstack/orderstack/platform/internal/repo"
	"github.com/rhysd/actionlint"
)

// TestMakeTargetsExist: every `make X` a workflow, script, make recipe or
// the CI entry calls is a target make knows.
func TestMakeTargetsExist(t *testing.T) {
	root := repo.Root(t)
	targets, err := repo.MakeTargets(root)
	if err != nil {
		t.Fatal(err)
	}
	type call struct{ where, target string }
	var calls []call
	for _, f := range loadWorkflows(t) {
		for id, job := range f.Workflow.Jobs {
			for _, st := range job.Steps {
				if r, ok := st.Exec.(*actionlint.ExecRun); ok {
					for _, tg := range repo.MakeCalls(r.Run.Value) {
						calls = append(calls, call{f.Name + " job " + id, tg})
					}
				}
			}
		}
	}
	others, _ := filepath.Glob(filepath.Join(root, "scripts", "*.sh"))
	mks, _ := filepath.Glob(filepath.Join(root, "mk", "*.mk"))
	others = append(append(others, filepath.Join(root, ".ci", "run"), filepath.Join(root, "Makefile")), mks...)
	for _, p := range others {
		b, err := os.ReadFile(p)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, p)
		for _, tg := range repo.MakeCalls(string(b)) {
			calls = append(calls, call{rel, tg})
		}
	}
	if len(calls) < 5 {
		t.Fatalf("found only %d make calls (%v); the parser is not finding them", len(calls), calls)
	}
	for _, c := range calls {
		if _, ok := targets[c.target]; !ok {
			t.Errorf("%s calls `make %s`, which no Makefile or mk/*.mk defines", c.where, c.target)
		}
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
	for _, sc := range []struct {
		Scenario
		what string
	}{
		{Scenario{"pull_request", "refs/pull/1/merge"}, "a pull request"},
		{Scenario{"push", "refs/heads/main"}, "a push to main"},
	} {
		ran := map[string]bool{}
		for _, r := range runs {
			if r.Scenario != sc.Scenario {
				continue
			}
			for _, st := range r.Job.Steps {
				for _, tg := range repo.MakeCalls(runText(st)) {
					ran[tg] = true
				}
			}
		}
		for _, tg := range []string{"test", "lint", "vulncheck", "e2e", "scan", "promtool-check"} {
			if !ran[tg] {
				out = append(out, "no job "+sc.what+" starts runs make "+tg)
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
	without := func(job string) []File {
		var rest []File
		for _, f := range files {
			if f.Name != "ci.yml" {
				rest = append(rest, f)
				continue
			}
			if job == "" {
				continue
			}
			g, err := Parse(f.Path, f.Source)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := g.Workflow.Jobs[job]; !ok {
				t.Fatalf("ci.yml has no job %q", job)
			}
			delete(g.Workflow.Jobs, job)
			rest = append(rest, g)
		}
		return rest
	}
	for job, want := range map[string]string{"": "make test", "scan": "make scan", "promtool": "make promtool-check"} {
		got := checkGateOnPullRequests(without(job))
		if !slices.Contains(got, "no job a pull request starts runs "+want) || !slices.Contains(got, "no job a push to main starts runs "+want) {
			t.Errorf("without ci.yml job %q the gate check found %q, want both events missing %s", job, got, want)
		}
	}
}
