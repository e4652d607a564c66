// Package clisandbox runs scripts against fake command-line tools on a closed PATH: one directory
// of fakes (bash scripts written by the test) and links to the few real programs the test allows.
// Nothing else is reachable by name, so a script calling a tool the test did not fake fails with
// "command not found" instead of reaching a real terraform, aws or kubectl on the machine. Every
// fake appends its argv to one log, read with Calls.
package clisandbox

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Basics are real programs deploy scripts commonly need; pass them to Real.
var Basics = []string{"bash", "env", "sed", "grep", "sort", "head", "tail", "tr", "cat", "dirname", "basename",
	"base64", "touch", "mkdir", "rm", "cp", "seq", "sleep", "printf", "wc", "cut", "mktemp"}

// Sandbox is a closed PATH of fakes and allowed real programs.
type Sandbox struct {
	Home  string // $HOME of the commands, a fresh temporary directory
	Bin   string // the only PATH entry
	State string // $FAKE_STATE: a directory fakes may keep state in
	Log   string // $FAKE_LOG: one line per fake call, "<name> <args...>"
	bash  string
	env   []string
}

// New makes an empty sandbox in a temporary directory of tb.
func New(tb testing.TB) *Sandbox {
	tb.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		tb.Skipf("bash is not installed: %v", err)
	}
	dir := tb.TempDir()
	s := &Sandbox{Home: dir, Bin: filepath.Join(dir, "bin"), State: filepath.Join(dir, "state"), Log: filepath.Join(dir, "calls.log"), bash: bash}
	if err := errors.Join(os.Mkdir(s.Bin, 0o755), os.Mkdir(s.State, 0o755)); err != nil {
		tb.Fatal(err)
	}
	return s
}

var validName = regexp.MustCompile(`^[A-Za-z0-9_.+-]+$`)

// add puts a program into the sandbox; a name may be taken once (a fake or a real program).
func (s *Sandbox) add(tb testing.TB, name string, put func(path string) error) {
	tb.Helper()
	path := filepath.Join(s.Bin, name)
	if _, err := os.Lstat(path); !validName.MatchString(name) || err == nil {
		tb.Fatalf("clisandbox: %q is not a program name or is already in the sandbox", name)
	}
	if err := put(path); err != nil {
		tb.Fatalf("clisandbox: %s: %v", name, err)
	}
}

// Fake installs a bash script that logs "<name> <args>" to $FAKE_LOG and then runs body.
func (s *Sandbox) Fake(tb testing.TB, name, body string) {
	tb.Helper()
	s.add(tb, name, func(path string) error {
		return os.WriteFile(path, []byte("#!"+s.bash+"\nprintf '%s\\n' \""+name+" $*\" >>\"$FAKE_LOG\"\n"+body+"\n"), 0o755)
	})
}

// Real makes real programs, found on the test process's PATH, callable in the sandbox.
func (s *Sandbox) Real(tb testing.TB, names ...string) {
	tb.Helper()
	for _, name := range names {
		s.add(tb, name, func(path string) error {
			p, err := exec.LookPath(name)
			if err == nil {
				p, err = filepath.Abs(p)
			}
			return errors.Join(err, os.Symlink(p, path))
		})
	}
}

// Setenv adds KEY=VALUE to the environment of every command the sandbox runs (later ones win).
func (s *Sandbox) Setenv(kv ...string) { s.env = append(s.env, kv...) }

// Env is the whole environment of the sandbox's commands: nothing is inherited from the test.
func (s *Sandbox) Env(extra ...string) []string {
	return append(append([]string{"PATH=" + s.Bin, "HOME=" + s.Home, "FAKE_LOG=" + s.Log, "FAKE_STATE=" + s.State, "LC_ALL=C"}, s.env...), extra...)
}

// Result is what a run produced: stdout and stderr interleaved, and the exit status.
type Result struct {
	Output string
	Code   int
}

// Run runs program with args in the sandbox's environment plus env, with empty stdin.
func (s *Sandbox) Run(tb testing.TB, program string, args []string, env ...string) Result {
	tb.Helper()
	cmd := exec.Command(program, args...)
	cmd.Env, cmd.Stdin, cmd.Dir = s.Env(env...), strings.NewReader(""), s.Home
	out, err := cmd.CombinedOutput()
	r := Result{Output: string(out)}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.Code = ee.ExitCode()
	} else if err != nil {
		tb.Fatalf("run %s: %v", program, err)
	}
	tb.Logf("%s %s (exit %d):\n%s", filepath.Base(program), strings.Join(args, " "), r.Code, out)
	return r
}

// Calls returns the fakes' calls in order, one "<name> <args>" string each.
func (s *Sandbox) Calls(tb testing.TB) []string {
	tb.Helper()
	b, err := os.ReadFile(s.Log)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		tb.Fatal(err)
	}
	return strings.FieldsFunc(string(b), func(r rune) bool { return r == '\n' })
}

// Index returns the position of the first call at or after from that matches re, or -1.
func Index(calls []string, from int, re string) int {
	if i := slices.IndexFunc(calls[min(from, len(calls)):], regexp.MustCompile(re).MatchString); i >= 0 {
		return from + i
	}
	return -1
}

// InOrder reports an error unless calls has matches of the patterns in this order.
func InOrder(calls []string, patterns ...string) error {
	at := 0
	for _, p := range patterns {
		i := Index(calls, at, p)
		if i < 0 {
			return fmt.Errorf("no call matching %q after call %d; calls:\n%s", p, at, strings.Join(calls, "\n"))
		}
		at = i + 1
	}
	return nil
}
