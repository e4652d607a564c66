package workflows

import (
	"os"
	"path/filepath"
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
