// Package repo answers the questions every check in platform/ asks about the repository: where its
// root is, which targets `make` has, and which targets a script or a document calls.
package repo

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"mvdan.cc/sh/v3/syntax"
)

// Root is the repository root: the nearest folder at or above the working directory (a test's
// package folder) that holds go.work.
func Root(tb testing.TB) string {
	tb.Helper()
	dir, err := filepath.Abs(".")
	for d := dir; err == nil; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.work")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	tb.Fatalf("no go.work at or above %s (%v)", dir, err)
	return ""
}

// Write writes content to root/rel (a slash path), making its folders: the test helper for a
// made-up repository in a temporary folder.
func Write(tb testing.TB, root, rel, content string) {
	tb.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := errors.Join(os.MkdirAll(filepath.Dir(p), 0o755), os.WriteFile(p, []byte(content), 0o644)); err != nil {
		tb.Fatal(err)
	}
}

// Read returns the file at path, failing the test if it cannot be read.
func Read(tb testing.TB, path string) string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// Must[T](tb)(v, err) is v, failing tb on err.
func Must[T any](tb testing.TB) func(T, error) T {
	return func(v T, err error) T {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		return v
	}
}

// MakeTargets asks GNU make which targets the Makefile in dir defines: it prints make's database
// (make -pq, nothing is run) and keeps the named targets of its "Files" section, leaving out what
// make marks "Not a target", special targets (.PHONY), pattern rules and file targets (a path with
// a slash, such as a built tool). Each target maps to its prerequisites, as make merged them from
// every file that names it.
func MakeTargets(dir string) (map[string][]string, error) {
	// The goal is an added target with nothing to do, so make -q exits 0 unless it could not read
	// the Makefile.
	cmd := exec.Command("make", "--no-print-directory", "-C", dir, "-pq", "--eval=.repo-db:", ".repo-db")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("make -pq in %s: %w\n%s", dir, err, stderr.Bytes())
	}
	targets := map[string][]string{}
	inFiles, notTarget := false, false
	for _, line := range strings.Split(string(out), "\n") {
		switch {
		case strings.HasPrefix(line, "# Files"):
			inFiles = true
		case strings.HasPrefix(line, "# files hash-table stats"), strings.HasPrefix(line, "# VPATH"):
			inFiles = false
		case !inFiles:
		case line == "# Not a target:":
			notTarget = true
		case line == "", line[0] == '#', line[0] == '\t':
		default:
			name, prereqs, ok := strings.Cut(line, ":")
			if ok && !notTarget && !strings.HasPrefix(name, ".") && !strings.ContainsAny(name, "/% =") {
				prereqs = strings.TrimPrefix(prereqs, ":") // double-colon rule
				prereqs, _, _ = strings.Cut(prereqs, "|")  // order-only prerequisites
				targets[name] = append(targets[name], strings.Fields(prereqs)...)
			}
			notTarget = false
		}
	}
	return targets, nil
}

var (
	// GitHub Actions expressions are not shell; each becomes one word.
	ghExpression = regexp.MustCompile(`\$\{\{.*?\}\}`)
	// A "$ " shell prompt in front of a command in a document.
	prompt = regexp.MustCompile(`(?m)^([ \t]*)\$[ \t]+`)
	// Upper-case words stand for a target in prose: `make TARGET`, `make X`.
	placeholder = regexp.MustCompile(`^[A-Z]+$`)
	// <env>, <dev|prod>: a value to fill in, in a document.
	angled = regexp.MustCompile(`<[A-Za-z][A-Za-z0-9_. |-]*>`)
)

// MakeCalls returns the targets that the make commands in shell text call (a script, a workflow's
// run:, a code block of a document). The text is parsed with mvdan.cc/sh, so a make inside a
// comment, a string or another word (cmake) is not a call; the targets are the literal words after
// make that are not options, an option's argument or VAR=value. Text that is not shell as a whole
// is parsed line by line, and lines that are not shell are skipped.
func MakeCalls(text string) []string {
	text = ghExpression.ReplaceAllString(text, "X")
	text = prompt.ReplaceAllString(text, "$1")
	text = angled.ReplaceAllString(text, "X")
	if calls, err := makeCalls(text); err == nil {
		return calls
	}
	var calls []string
	for _, line := range strings.Split(strings.ReplaceAll(text, "\\\n", " "), "\n") {
		c, _ := makeCalls(line)
		calls = append(calls, c...)
	}
	return calls
}

func makeCalls(text string) ([]string, error) {
	f, err := syntax.NewParser().Parse(strings.NewReader(text), "")
	if err != nil {
		return nil, err
	}
	var targets []string
	syntax.Walk(f, func(n syntax.Node) bool {
		call, ok := n.(*syntax.CallExpr)
		if !ok || len(call.Args) == 0 || !isMake(call.Args[0]) {
			return true
		}
		args := call.Args[1:]
	words:
		for i := 0; i < len(args); i++ {
			w := args[i].Lit() // "" when the word has expansions or quotes
			switch {
			case w == "-C" || w == "-f" || w == "-j" || w == "-o" || w == "-W" || w == "-I" ||
				w == "--directory" || w == "--file" || w == "--makefile":
				i++ // the option's argument
			case placeholder.MatchString(w):
				break words // prose: `make X runs target X`
			case w == "", strings.HasPrefix(w, "-"), strings.Contains(w, "="):
			default:
				targets = append(targets, w)
			}
		}
		return true
	})
	return targets, nil
}

// isMake reports whether a command word is make or $(MAKE).
func isMake(w *syntax.Word) bool {
	var b strings.Builder
	syntax.NewPrinter().Print(&b, w)
	return b.String() == "make" || b.String() == "$(MAKE)"
}
