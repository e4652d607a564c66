package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckAndRewrite(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "main.tf")
	good := filepath.Join(dir, "ok.tfvars")
	if err := os.WriteFile(bad, []byte("locals {\n  a=1\n  bb = 2\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(good, []byte("a = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	if err := run([]string{"-check", dir}, &out); err == nil {
		t.Fatal("run(-check) on an unformatted file = nil error, want one")
	}
	if got := strings.TrimSpace(out.String()); got != bad {
		t.Errorf("run(-check) listed %q, want %q", got, bad)
	}

	out.Reset()
	if err := run([]string{dir}, &out); err != nil {
		t.Fatalf("run(rewrite) = %v", err)
	}
	got, _ := os.ReadFile(bad)
	if want := "locals {\n  a  = 1\n  bb = 2\n}\n"; string(got) != want {
		t.Errorf("rewritten file = %q, want %q", got, want)
	}
	if err := run([]string{"-check", dir}, &out); err != nil {
		t.Errorf("run(-check) after rewrite = %v, want nil", err)
	}
}

func TestRejectsInvalidHCL(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x.tf"), []byte("locals {\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"-check", dir}, new(bytes.Buffer)); err == nil {
		t.Error("run on invalid HCL = nil error, want a parse error")
	}
}
