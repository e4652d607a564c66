package clisandbox

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestNoFallThrough: a program the test neither faked nor allowed is not found, even though the
// machine has it (go runs this test, so go is installed).
func TestNoFallThrough(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not on PATH")
	}
	s := New(t)
	s.Real(t, "bash")
	r := s.Run(t, s.Bin+"/bash", []string{"-c", "go version"})
	if r.Code != 127 || !strings.Contains(r.Output, "go: command not found") {
		t.Errorf("go in the sandbox: exit %d, output %q; want 127, command not found", r.Code, r.Output)
	}
}

// TestFakesLogAndAnswer: fakes see their arguments, log them in order, and a fake that calls
// another tool reaches the other fake.
func TestFakesLogAndAnswer(t *testing.T) {
	s := New(t)
	s.Real(t, "bash")
	s.Fake(t, "kubectl", `echo "kubectl says $1"`)
	s.Fake(t, "helm", `kubectl from-helm; exit 3`)
	r := s.Run(t, s.Bin+"/bash", []string{"-c", `kubectl get pods; helm upgrade x`})
	if r.Code != 3 {
		t.Errorf("exit = %d, want 3 (the last fake's status)", r.Code)
	}
	if !strings.Contains(r.Output, "kubectl says get") {
		t.Errorf("output %q lacks the fake's answer", r.Output)
	}
	want := []string{"kubectl get pods", "helm upgrade x", "kubectl from-helm"}
	if diff := cmp.Diff(want, s.Calls(t)); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if err := InOrder(s.Calls(t), `^kubectl get`, `^kubectl from-helm`); err != nil {
		t.Error(err)
	}
	if err := InOrder(s.Calls(t), `^helm`, `^kubectl get`); err == nil {
		t.Error("InOrder accepted calls out of order")
	}
}

// TestEnvIsClosed: nothing of the test process's environment leaks in; PATH is the sandbox.
func TestEnvIsClosed(t *testing.T) {
	t.Setenv("LEAKY_SECRET", "x")
	s := New(t)
	s.Real(t, "bash", "env")
	s.Setenv("A=1")
	r := s.Run(t, s.Bin+"/env", nil, "B=2")
	if strings.Contains(r.Output, "LEAKY_SECRET") {
		t.Error("the test's environment leaked into the sandbox")
	}
	for _, want := range []string{"PATH=" + s.Bin + "\n", "A=1\n", "B=2\n", "FAKE_LOG=" + s.Log} {
		if !strings.Contains(r.Output, want) {
			t.Errorf("environment lacks %q:\n%s", want, r.Output)
		}
	}
	if diff := cmp.Diff([]string{"bash", "env"}, s.Names(t)); diff != "" {
		t.Errorf("programs (-want +got):\n%s", diff)
	}
}
