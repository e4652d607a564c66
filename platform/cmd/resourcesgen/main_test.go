package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunWritesFile(t *testing.T) {
	root := t.TempDir()
	mod := filepath.Join(root, "infra", "modules", "ecr")
	if err := os.MkdirAll(mod, 0o755); err != nil {
		t.Fatal(err)
	}
	tf := "# Image repository.\nresource \"aws_ecr_repository\" \"this\" {\n  name = \"orders\"\n}\n"
	if err := os.WriteFile(filepath.Join(mod, "main.tf"), []byte(tf), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(root, "resources.md")
	var stdout, stderr bytes.Buffer
	if err := run([]string{"-root", root, "-out", out}, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v (stderr %q)", err, stderr.String())
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := "| `aws_ecr_repository.this` | Image repository. | one | $0.10/GB-month of images | main.tf |"; !strings.Contains(string(got), want) {
		t.Errorf("resources.md lacks %q:\n%s", want, got)
	}
	if !strings.Contains(stdout.String(), "wrote "+out) {
		t.Errorf("stdout = %q, want it to name the file written", stdout.String())
	}
}

func TestRunErrors(t *testing.T) {
	root := t.TempDir()
	mod := filepath.Join(root, "infra", "modules", "bad")
	if err := os.MkdirAll(mod, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mod, "main.tf"), []byte("resource \"x\" {\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if err := run([]string{"-root", root}, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "main.tf") {
		t.Errorf("run on a broken .tf: err = %v, want a parse error naming main.tf", err)
	}
	if err := run([]string{"-nope"}, &stdout, &stderr); err == nil {
		t.Error("run with an unknown flag: no error")
	}
}
