package docs

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/orderstack/orderstack/platform/internal/helmrender"
	"helm.sh/helm/v3/pkg/releaseutil"
)

// runbookRe finds a runbook_url and, in its value, the Markdown file and
// anchor it points to; the path is relative to the repository root (the
// value starts with the repository's base URL or a template of it).
var (
	runbookRe       = regexp.MustCompile(`runbook_url\s*:\s*(.+)`)
	runbookTargetRe = regexp.MustCompile(`((?:[A-Za-z0-9_.-]+/)*[A-Za-z0-9_.-]+\.md)#([A-Za-z0-9_-]+)`)
)

// RunbookURL is one runbook_url found in a deploy file.
type RunbookURL struct {
	File   string // slash path relative to the repository root
	Line   int
	Value  string
	Target string // Markdown file, relative to the repository root
	Anchor string
}

// RunbookURLs returns every runbook_url under root/deploy: in the output of
// each chart whose templates mention runbook_url, rendered with the Helm SDK
// and the chart's default values (the URL is usually built by a template),
// and in every plain YAML file outside a chart.
func RunbookURLs(root string) ([]RunbookURL, error) {
	var out []RunbookURL
	dir := filepath.Join(root, "deploy")
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	scan := func(file, text string) {
		for i, line := range strings.Split(text, "\n") {
			m := runbookRe.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			r := RunbookURL{File: file, Line: i + 1, Value: strings.Trim(strings.TrimSpace(m[1]), `"'`)}
			if t := runbookTargetRe.FindStringSubmatch(r.Value); t != nil {
				// The base URL may end in a path of the repository's web
				// address (.../blob/main/docs/operations.md): keep what
				// starts at a top-level folder that exists.
				r.Target, r.Anchor = trimToRepoPath(root, t[1]), t[2]
			}
			out = append(out, r)
		}
	}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if _, err := os.Stat(filepath.Join(p, "Chart.yaml")); err != nil {
				return nil
			}
			rendered, err := renderChartIfRunbooks(p)
			if err != nil {
				return fmt.Errorf("render chart %s: %w", rel, err)
			}
			for _, name := range slices.Sorted(maps.Keys(rendered)) {
				scan(rel+" (rendered "+name+")", rendered[name])
			}
			return filepath.SkipDir
		}
		switch filepath.Ext(p) {
		case ".yaml", ".yml":
		default:
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		scan(rel, string(src))
		return nil
	})
	return out, err
}

// renderChartIfRunbooks renders the chart at dir with its default values
// and the monitoring.coreos.com/v1 API available, if any of its templates
// mentions runbook_url; it returns the manifests by template name.
func renderChartIfRunbooks(dir string) (map[string]string, error) {
	mentions := false
	err := filepath.WalkDir(filepath.Join(dir, "templates"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		mentions = mentions || bytes.Contains(b, []byte("runbook_url"))
		return err
	})
	if err != nil || !mentions {
		return nil, err
	}
	// A chart whose values have required entries keeps example values in ci/default-values.yaml
	// (chart-testing's convention).
	opts := helmrender.Options{APIVersions: []string{"monitoring.coreos.com/v1"}}
	if _, err := os.Stat(filepath.Join(dir, "ci", "default-values.yaml")); err == nil {
		opts.ValueFiles = []string{filepath.Join("ci", "default-values.yaml")}
	}
	rel, err := helmrender.Render(dir, opts)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, doc := range releaseutil.SplitManifests(rel.Manifest) {
		src, body, _ := strings.Cut(doc, "\n")
		out[strings.TrimPrefix(src, "# Source: ")] += body
	}
	return out, nil
}

// trimToRepoPath drops a leading web address: the repository path starts
// at the first component that is a top-level folder of the repository.
func trimToRepoPath(root, p string) string {
	parts := strings.Split(p, "/")
	for i := range parts[:len(parts)-1] {
		if st, err := os.Stat(filepath.Join(root, parts[i])); err == nil && st.IsDir() && parts[i] != "" {
			return strings.Join(parts[i:], "/")
		}
	}
	return p
}

// SourceHashPrefix starts the comment that tools/d2 (d2render) writes into
// every SVG it renders; the SHA-256 of the D2 source follows it.
const SourceHashPrefix = "<!-- d2-source-sha256: "

var svgHashRe = regexp.MustCompile(regexp.QuoteMeta(SourceHashPrefix) + `([0-9a-f]{64})`)

// CheckDiagrams returns one problem per D2 source under dir without an SVG,
// SVG without a D2 source, or SVG whose recorded source hash is not the
// hash of the current source.
func CheckDiagrams(dir string) ([]string, error) {
	sources, err := filepath.Glob(filepath.Join(dir, "*.d2"))
	if err != nil {
		return nil, err
	}
	svgs, err := filepath.Glob(filepath.Join(dir, "*.svg"))
	if err != nil {
		return nil, err
	}
	var problems []string
	for _, s := range svgs {
		if _, err := os.Stat(strings.TrimSuffix(s, ".svg") + ".d2"); err != nil {
			problems = append(problems, fmt.Sprintf("%s has no D2 source beside it", filepath.Base(s)))
		}
	}
	for _, s := range sources {
		src, err := os.ReadFile(s)
		if err != nil {
			return nil, err
		}
		svgPath := strings.TrimSuffix(s, ".d2") + ".svg"
		svg, err := os.ReadFile(svgPath)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s has no rendered %s", filepath.Base(s), filepath.Base(svgPath)))
			continue
		}
		sum := sha256.Sum256(src)
		want := hex.EncodeToString(sum[:])
		head := svg[:min(len(svg), 512)]
		m := svgHashRe.FindSubmatch(head)
		switch {
		case m == nil:
			problems = append(problems, fmt.Sprintf("%s carries no source hash: not rendered by d2render", filepath.Base(svgPath)))
		case string(m[1]) != want:
			problems = append(problems, fmt.Sprintf("%s was rendered from another version of %s", filepath.Base(svgPath), filepath.Base(s)))
		}
	}
	return problems, nil
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
