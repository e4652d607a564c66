package clisandbox

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSandbox: a program the test neither faked nor allowed is not found although the machine
// has it (go runs this test); nothing of the test's environment leaks in; fakes see their
// arguments, log them in order, and a fake that calls another reaches the other fake.
func TestSandbox(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not on PATH")
	}
	t.Setenv("LEAKY_SECRET", "x")
	s := New(t)
	s.Real(t, "bash", "env")
	s.Fake(t, "kubectl", `echo "kubectl says $1"`)
	s.Fake(t, "helm", `kubectl from-helm; exit 3`)
	s.Setenv("A=1")
	r := s.Run(t, s.Bin+"/bash", []string{"-c", "go version"})
	if r.Code != 127 || !strings.Contains(r.Output, "go: command not found") {
		t.Errorf("go in the sandbox: exit %d, output %q; want 127, command not found", r.Code, r.Output)
	}
	r = s.Run(t, s.Bin+"/env", nil, "B=2")
	for _, want := range []string{"PATH=" + s.Bin + "\n", "A=1\n", "B=2\n", "FAKE_LOG=" + s.Log} {
		if !strings.Contains(r.Output, want) || strings.Contains(r.Output, "LEAKY_SECRET") {
			t.Errorf("environment lacks %q or has LEAKY_SECRET:\n%s", want, r.Output)
		}
	}
	r = s.Run(t, s.Bin+"/bash", []string{"-c", `kubectl get pods; helm upgrade x`})
	if r.Code != 3 || !strings.Contains(r.Output, "kubectl says get") {
		t.Errorf("exit = %d, output %q; want 3 (the last fake's status) and the fake's answer", r.Code, r.Output)
	}
	if diff := cmp.Diff([]string{"kubectl get pods", "helm upgrade x", "kubectl from-helm"}, s.Calls(t)); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if InOrder(s.Calls(t), `^kubectl get`, `^kubectl from-helm`) != nil || InOrder(s.Calls(t), `^helm`, `^kubectl get`) == nil {
		t.Error("InOrder judged the order wrongly")
	}
}
