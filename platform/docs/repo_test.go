package docs

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/orderstack/orderstack/platform/internal/repo"
)

func repoMarkdown(tb testing.TB) (string, map[string]Markdown) {
	tb.Helper()
	root := repo.Root(tb)
	files, err := MarkdownFiles(root)
	if err != nil {
		tb.Fatal(err)
	}
	return root, files
}

// TestRepoLinks: every relative link and #anchor in every Markdown file of
// the repository resolves.
func TestRepoLinks(t *testing.T) {
	root, files := repoMarkdown(t)
	if _, ok := files["docs/development.md"]; !ok {
		t.Fatalf("docs/development.md not found among %d Markdown files", len(files))
	}
	for _, p := range CheckLinks(root, files) {
		t.Error(p)
	}
	t.Logf("checked %d Markdown files", len(files))
}

// TestRepoRunbookURLs: every runbook_url under deploy/ names a Markdown file
// and a heading in it that exist.
func TestRepoRunbookURLs(t *testing.T) {
	root, files := repoMarkdown(t)
	urls, err := RunbookURLs(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range urls {
		if u.Target == "" {
			t.Errorf("%s:%d: runbook_url %q names no Markdown file and #anchor", u.File, u.Line, u.Value)
			continue
		}
		m, ok := files[u.Target]
		if !ok {
			t.Errorf("%s:%d: runbook_url %q: no file %s", u.File, u.Line, u.Value, u.Target)
			continue
		}
		if !m.Anchors[u.Anchor] {
			t.Errorf("%s:%d: runbook_url %q: %s has no heading with anchor #%s", u.File, u.Line, u.Value, u.Target, u.Anchor)
		}
	}
	t.Logf("checked %d runbook_url values", len(urls))
}

// TestRepoMakeTargets: every `make TARGET` in the code of docs/ and of every
// README is a target that make finds in the Makefile (and the mk/*.mk it
// includes).
func TestRepoMakeTargets(t *testing.T) {
	root, files := repoMarkdown(t)
	targets, err := repo.MakeTargets(root)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range slices.Sorted(maps.Keys(files)) {
		if !strings.HasPrefix(f, "docs/") && filepath.Base(f) != "README.md" {
			continue
		}
		for _, code := range files[f].Code {
			for _, target := range repo.MakeCalls(code) {
				n++
				if _, ok := targets[target]; !ok {
					t.Errorf("%s: `make %s`: no such target in Makefile or mk/*.mk", f, target)
				}
			}
		}
	}
	t.Logf("checked %d make commands against %d targets", n, len(targets))
}

// TestMakeTestIsTheTestTargets: `make test` runs exactly the targets named
// test-<area> (each mk/<area>.mk adds its own), so a suite named like one is
// in CI, and nothing else hides in `make test`.
func TestMakeTestIsTheTestTargets(t *testing.T) {
	targets, err := repo.MakeTargets(repo.Root(t))
	if err != nil {
		t.Fatal(err)
	}
	var named []string
	for name := range targets {
		if strings.HasPrefix(name, "test-") {
			named = append(named, name)
		}
	}
	sort.Strings(named)
	got := slices.Sorted(slices.Values(targets["test"]))
	if diff := cmp.Diff(named, got); diff != "" {
		t.Errorf("make test's prerequisites (+) are not the test-* targets (-): add `test: test-<area>` to the mk file, or rename the target\n%s", diff)
	}
}

// TestDiagramsUpToDate: each SVG under docs/diagrams records the SHA-256 of
// its D2 source as it is now (d2render writes it; `make docs` re-renders).
func TestDiagramsUpToDate(t *testing.T) {
	dir := filepath.Join(repo.Root(t), "docs", "diagrams")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("docs/diagrams: %v", err)
	}
	problems, err := CheckDiagrams(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: run `make docs`", p)
	}
}

// TestDocsIndexed: docs/README.md links every document in docs/, and the
// repository's README.md links docs/README.md.
func TestDocsIndexed(t *testing.T) {
	_, files := repoMarkdown(t)
	index, ok := files["docs/README.md"]
	if !ok {
		t.Fatal("docs/README.md is missing")
	}
	linked := map[string]bool{}
	for _, l := range index.Links {
		target, _, _ := strings.Cut(l.Dest, "#")
		linked[filepath.ToSlash(filepath.Join("docs", target))] = true
	}
	for _, f := range slices.Sorted(maps.Keys(files)) {
		if strings.HasPrefix(f, "docs/") && strings.Count(f, "/") == 1 && f != "docs/README.md" && !linked[f] {
			t.Errorf("docs/README.md does not link %s: add a row for it to the table there", f)
		}
	}
	readme, ok := files["README.md"]
	if !ok {
		t.Fatal("README.md (the repository's front page) is missing")
	}
	for _, l := range readme.Links {
		if d, _, _ := strings.Cut(l.Dest, "#"); d == "docs/README.md" || d == "docs/" || d == "docs" {
			return
		}
	}
	t.Error("README.md does not link docs/README.md")
}
