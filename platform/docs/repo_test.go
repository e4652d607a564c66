package docs

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/orderstack/orderstack/platform/internal/repo"
)

// Links and #anchors of every Markdown file are remark-validate-links' (make test-docs).

// TestRepoRunbookURLs: every runbook_url under deploy/ names a Markdown file and a heading in it
// that exist. The URLs are handed to remark-validate-links as the links of a Markdown file at the
// repository root, so headings are matched with its GitHub slugs. REMARK is the command line
// make test-docs passes.
func TestRepoRunbookURLs(t *testing.T) {
	remark := strings.Fields(os.Getenv("REMARK"))
	if len(remark) == 0 {
		t.Skip("REMARK is not set: run make test-docs, which installs remark-cli and remark-validate-links")
	}
	root := repo.Root(t)
	urls := repo.Must[[]RunbookURL](t)(RunbookURLs(root))
	var md strings.Builder
	for _, u := range urls {
		if u.Link == "" {
			t.Errorf("%s:%d: runbook_url %q names no Markdown file and #anchor", u.File, u.Line, u.Value)
		}
		fmt.Fprintf(&md, "- [%s:%d](%s)\n", u.File, u.Line, u.Link)
	}
	if len(urls) < 10 {
		t.Fatalf("found %d runbook_url values under deploy/, want the alerts of both charts:\n%s", len(urls), md.String())
	}
	cmd := exec.Command(remark[0], append(remark[1:], "--file-path", "runbook-urls.md")...)
	cmd.Dir, cmd.Stdin = root, strings.NewReader(md.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("remark-validate-links on the runbook URLs: %v\n%s\n(the links checked:)\n%s", err, out, md.String())
	}
}

// codeRe finds the code of a Markdown text: fenced blocks and code spans.
var codeRe = regexp.MustCompile("(?s)```.*?```|`[^`\n]+`")

// TestRepoMakeTargets: every `make TARGET` in the code of docs/ and of every README is a target
// that make finds in the Makefile (and the mk/*.mk it includes).
func TestRepoMakeTargets(t *testing.T) {
	root := repo.Root(t)
	targets, err := repo.MakeTargets(root)
	out, gitErr := exec.Command("git", "-C", root, "ls-files", "docs/*.md", "*README.md").Output()
	if err = errors.Join(err, gitErr); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range slices.Compact(slices.Sorted(slices.Values(strings.Fields(string(out))))) {
		for _, code := range codeRe.FindAllString(repo.Read(t, filepath.Join(root, f)), -1) {
			for _, target := range repo.MakeCalls(strings.Trim(code, "`")) {
				n++
				if _, ok := targets[target]; !ok {
					t.Errorf("%s: `make %s`: no such target in Makefile or mk/*.mk", f, target)
				}
			}
		}
	}
	if n < 20 {
		t.Errorf("found %d make commands, want the docs' many: is the code extraction broken?", n)
	}
}

// TestMakeTestIsTheTestTargets: `make test` runs exactly the targets named test-<area> (each
// mk/<area>.mk adds its own), so a suite named like one is in CI, and nothing else hides in it.
func TestMakeTestIsTheTestTargets(t *testing.T) {
	targets := repo.Must[map[string][]string](t)(repo.MakeTargets(repo.Root(t)))
	named := slices.DeleteFunc(slices.Sorted(maps.Keys(targets)), func(name string) bool { return !strings.HasPrefix(name, "test-") })
	got := slices.Sorted(slices.Values(targets["test"]))
	if diff := cmp.Diff(named, got); diff != "" {
		t.Errorf("make test's prerequisites (+) are not the test-* targets (-): add `test: test-<area>` to the mk file, or rename the target\n%s", diff)
	}
}

// TestDiagramsUpToDate: each SVG under docs/diagrams records the SHA-256 of its D2 source as it is
// now (d2render writes it; `make docs` re-renders).
func TestDiagramsUpToDate(t *testing.T) {
	problems := repo.Must[[]string](t)(CheckDiagrams(filepath.Join(repo.Root(t), "docs", "diagrams")))
	for _, p := range problems {
		t.Errorf("%s: run `make docs`", p)
	}
}

// linkRe finds the destinations of inline Markdown links.
var linkRe = regexp.MustCompile(`\]\(([^)#\s]*)`)

// TestDocsIndexed: docs/README.md links every document in docs/, and README.md links docs/README.md.
func TestDocsIndexed(t *testing.T) {
	root := repo.Root(t)
	links := func(rel string) map[string]bool {
		out := map[string]bool{}
		for _, m := range linkRe.FindAllStringSubmatch(repo.Read(t, filepath.Join(root, rel)), -1) {
			out[filepath.ToSlash(filepath.Join(filepath.Dir(rel), m[1]))] = true
		}
		return out
	}
	index := links("docs/README.md")
	docs, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	for _, d := range docs {
		if f := "docs/" + filepath.Base(d); f != "docs/README.md" && !index[f] {
			t.Errorf("docs/README.md does not link %s: add a row for it to the table there", f)
		}
	}
	if front := links("README.md"); !front["docs/README.md"] && !front["docs"] {
		t.Error("README.md does not link docs/README.md")
	}
}
