package workflows

import (
	"fmt"
	"os"
	"path/filepath"
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
