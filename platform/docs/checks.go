package docs

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/orderstack/orderstack/platform/internal/helmrender"
	"helm.sh/helm/v3/pkg/releaseutil"
)

// RunbookURL is one runbook_url found under deploy/.
type RunbookURL struct {
	File  string // slash path relative to the repository root, "(rendered <template>)" for charts
	Line  int
	Value string
	Link  string // the repository path and #anchor it names, "" when it names none
}

var (
	runbookRe     = regexp.MustCompile(`runbook_url\s*:\s*(.+)`)
	runbookLinkRe = regexp.MustCompile(`((?:[A-Za-z0-9_.-]+/)*[A-Za-z0-9_.-]+\.md)#([A-Za-z0-9_-]+)`)
)

// RunbookURLs returns every runbook_url under root/deploy: in each chart, rendered with the Helm
// SDK and the chart's default values (the URL is built by a template; ci/default-values.yaml,
// chart-testing's convention, when the chart has one), and in plain YAML files outside charts.
func RunbookURLs(root string) ([]RunbookURL, error) {
	var out []RunbookURL
	scan := func(file, text string) {
		for i, line := range strings.Split(text, "\n") {
			if m := runbookRe.FindStringSubmatch(line); m != nil {
				u := RunbookURL{File: file, Line: i + 1, Value: strings.Trim(strings.TrimSpace(m[1]), `"'`)}
				if l := runbookLinkRe.FindStringSubmatch(u.Value); l != nil {
					u.Link = trimToRepoPath(root, l[1]) + "#" + l[2]
				}
				out = append(out, u)
			}
		}
	}
	err := filepath.WalkDir(filepath.Join(root, "deploy"), func(p string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(root, p)
		if rel = filepath.ToSlash(rel); err != nil {
			return err
		}
		if _, err := os.Stat(filepath.Join(p, "Chart.yaml")); d.IsDir() && err == nil {
			opts := helmrender.Options{APIVersions: []string{"monitoring.coreos.com/v1"}}
			if _, err := os.Stat(filepath.Join(p, "ci", "default-values.yaml")); err == nil {
				opts.ValueFiles = []string{filepath.Join("ci", "default-values.yaml")}
			}
			r, err := helmrender.Render(p, opts)
			if err != nil {
				return fmt.Errorf("render chart %s: %w", rel, err)
			}
			for _, doc := range releaseutil.SplitManifests(r.Manifest) {
				src, body, _ := strings.Cut(doc, "\n")
				scan(rel+" (rendered "+strings.TrimPrefix(src, "# Source: ")+")", body)
			}
			return filepath.SkipDir
		}
		b, err := os.ReadFile(p)
		if ext := filepath.Ext(p); !d.IsDir() && (ext == ".yaml" || ext == ".yml") {
			scan(rel, string(b))
			return err
		}
		return nil
	})
	return out, err
}

// trimToRepoPath drops a leading web address (.../blob/main/docs/operations.md): the repository
// path starts at the first component that is a top-level folder of the repository.
func trimToRepoPath(root, p string) string {
	parts := strings.Split(p, "/")
	for i, part := range parts[:len(parts)-1] {
		if st, err := os.Stat(filepath.Join(root, part)); part != "" && err == nil && st.IsDir() {
			return strings.Join(parts[i:], "/")
		}
	}
	return p
}

// SourceHashPrefix starts the comment that tools/d2 (d2render) writes into every SVG it
// renders; the SHA-256 of the D2 source follows it.
const SourceHashPrefix = "<!-- d2-source-sha256: "

var svgHashRe = regexp.MustCompile(regexp.QuoteMeta(SourceHashPrefix) + `([0-9a-f]{64})`)

// CheckDiagrams returns one problem per D2 source under dir without an SVG, SVG without a D2
// source, or SVG whose recorded source hash is not the hash of the current source.
func CheckDiagrams(dir string) ([]string, error) {
	svgs, _ := filepath.Glob(filepath.Join(dir, "*.svg"))
	sources, err := filepath.Glob(filepath.Join(dir, "*.d2"))
	var problems []string
	for _, s := range svgs {
		if _, err := os.Stat(strings.TrimSuffix(s, ".svg") + ".d2"); err != nil {
			problems = append(problems, filepath.Base(s)+" has no D2 source beside it")
		}
	}
	for _, s := range sources {
		src, err := os.ReadFile(s)
		svg, svgErr := os.ReadFile(strings.TrimSuffix(s, ".d2") + ".svg")
		d2, name := filepath.Base(s), strings.TrimSuffix(filepath.Base(s), ".d2")+".svg"
		switch m := svgHashRe.FindSubmatch(svg[:min(len(svg), 512)]); {
		case err != nil:
			return nil, err
		case svgErr != nil:
			problems = append(problems, d2+" has no rendered "+name)
		case m == nil:
			problems = append(problems, name+" carries no source hash: not rendered by d2render")
		case string(m[1]) != fmt.Sprintf("%x", sha256.Sum256(src)):
			problems = append(problems, name+" was rendered from another version of "+d2)
		}
	}
	return problems, err
}
