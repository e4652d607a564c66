package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeTerraformDocs writes a terraform-docs stand-in that prints body for `json DIR`, or fails.
func fakeTerraformDocs(t *testing.T, body string, fail bool) string {
	t.Helper()
	script := "#!/bin/sh\n[ \"$1\" = json ] || exit 2\ncat <<'JSON'\n" + body + "\nJSON\n"
	if fail {
		script = "#!/bin/sh\necho \"Error: cannot read $2\" >&2\nexit 1\n"
	}
	p := filepath.Join(t.TempDir(), "terraform-docs")
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func repoWithModule(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "infra", "modules", "ecr"), 0o755); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestRunWritesFile(t *testing.T) {
	root := repoWithModule(t)
	tfdocs := fakeTerraformDocs(t, `{"resources":[{"type":"ecr_repository","name":"this","provider":"aws","mode":"managed","description":"Image repository."}]}`, false)
	out := filepath.Join(root, "resources.md")
	var stdout, stderr bytes.Buffer
	if err := run([]string{"-root", root, "-terraform-docs", tfdocs, "-out", out}, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v (stderr %q)", err, stderr.String())
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := "| `aws_ecr_repository.this` | Image repository. | $0.10/GB-month of images |"; !strings.Contains(string(got), want) {
		t.Errorf("resources.md lacks %q:\n%s", want, got)
	}
	if !strings.Contains(stdout.String(), "wrote "+out) {
		t.Errorf("stdout = %q, want it to name the file written", stdout.String())
	}
}

func TestRunErrors(t *testing.T) {
	root := repoWithModule(t)
	var stdout, stderr bytes.Buffer
	err := run([]string{"-root", root, "-terraform-docs", fakeTerraformDocs(t, "", true)}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), filepath.Join("modules", "ecr")) || !strings.Contains(stderr.String(), "cannot read") {
		t.Errorf("run with a failing terraform-docs: err = %v, stderr %q; want an error naming the folder and terraform-docs' message", err, stderr.String())
	}
	err = run([]string{"-root", root, "-terraform-docs", fakeTerraformDocs(t, "not json", false)}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "terraform-docs json of") {
		t.Errorf("run with bad terraform-docs output: err = %v, want a decode error", err)
	}
	if err := run([]string{"-bogus"}, &stdout, &stderr); err == nil {
		t.Error("run with an unknown flag: no error")
	}
}
