package repo

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestMakeTargets: make's own view of a Makefile with includes, variables, double-colon,
// multi-target, pattern, file and special rules, and a recipe line that looks like a rule.
func TestMakeTargets(t *testing.T) {
	root := t.TempDir()
	Write(t, root, "Makefile", "BIN := $(CURDIR)/bin\nX := 1\n.PHONY: help run\nhelp: ## h\n\t@echo $(X)\nrun test: dep\ndep:\n-include mk/*.mk\n")
	Write(t, root, "mk/a.mk", "A ?= b\ntest: deploy\n$(BIN)/tool: go.mod\n\tgo build\ndeploy: ## d\n\techo deploy: no\nfoo::\n%.o: %.c\nifeq ($(A),c)\nhidden:\nendif\n")
	got := Must[map[string][]string](t)(MakeTargets(root))
	want := map[string][]string{"help": nil, "run": {"dep"}, "test": {"dep", "deploy"}, "dep": nil, "deploy": nil, "foo": nil}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("MakeTargets (-want +got):\n%s", diff)
	}

	Write(t, root, "mk/broken.mk", "ifeq (x,y)\n")
	if got, err := MakeTargets(root); err == nil {
		t.Errorf("MakeTargets of a Makefile make cannot read = %v, want an error", got)
	}
}

func TestMakeCalls(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"make test", []string{"test"}},
		{"cd x && make lint vulncheck", []string{"lint", "vulncheck"}},
		{`make deploy-app ENV="$ENV" IMAGE_TAG="$IMAGE_TAG"`, []string{"deploy-app"}},
		{`make -C "$ROOT" --no-print-directory smoke BASE_URL="$url"`, []string{"smoke"}},
		{"make \\\n  image IMAGE=x", []string{"image"}},
		{"$(MAKE) e2e-tools; echo make", []string{"e2e-tools"}},
		{"cmake build; automake", nil},
		{"make tf-validate # then plan", []string{"tf-validate"}},
		{`make tf-validate TF_ROOTS="infra/${{ matrix.root }}"`, []string{"tf-validate"}},
		{`say "run make mongodb-secret ENV=$ENV first"`, nil},
		{"for tool in git make go; do echo $tool; done", nil},
		{"# `make deploy` runs it\nmake lint", []string{"lint"}},
		{"TOKEN=$t make -C x smoke", []string{"smoke"}},
		{"if x; then make docs; fi", []string{"docs"}},
		{"secret() { make -C \"$ROOT\" mongodb-secret ENV=\"$ENV\"; }", []string{"mongodb-secret"}},
		// Documents: prompts, placeholders, prose and other languages around the commands.
		{"$ make docs", []string{"docs"}},
		{"make", nil},
		{"# make sure the cluster is up\nkubectl get nodes", nil},
		{"remake it", nil},
		{"make X runs target X", nil},
		{"make deploy ENV=<env>", []string{"deploy"}},
		{"s := make([]string, 0)\n}\nmake scan", []string{"scan"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, MakeCalls(tt.text)); diff != "" {
			t.Errorf("MakeCalls(%q) (-want +got):\n%s", tt.text, diff)
		}
	}
}
