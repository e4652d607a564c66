package docs

import (
	"bytes"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"
)

// Markdown is what the checks need from one Markdown file.
type Markdown struct {
	Path    string          // slash-separated, relative to the repository root
	Anchors map[string]bool // GitHub anchors of its headings and explicit <a id/name>
	Links   []Link          // link and image destinations, HTML href/src included
	Code    []string        // text of code spans and code blocks, in order
}

// Link is one link destination and the line it is on.
type Link struct {
	Dest string
	Line int
}

var md = goldmark.New(goldmark.WithExtensions(extension.GFM))

var (
	htmlAttrRe   = regexp.MustCompile(`(?i)\b(href|src)\s*=\s*"([^"]*)"`)
	htmlAnchorRe = regexp.MustCompile(`(?i)<a\s[^>]*\b(?:id|name)\s*=\s*"([^"]+)"`)
)

// ParseMarkdown reads the headings, links and code of src.
func ParseMarkdown(path string, src []byte) Markdown {
	m := Markdown{Path: path, Anchors: map[string]bool{}}
	doc := md.Parser().Parse(text.NewReader(src))
	slugs := map[string]int{}
	lineOf := func(offset int) int { return bytes.Count(src[:offset], []byte("\n")) + 1 }
	addHTML := func(raw string, offset int) {
		for _, a := range htmlAttrRe.FindAllStringSubmatch(raw, -1) {
			m.Links = append(m.Links, Link{Dest: a[2], Line: lineOf(offset)})
		}
		for _, a := range htmlAnchorRe.FindAllStringSubmatch(raw, -1) {
			m.Anchors[a[1]] = true
		}
	}
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			m.Anchors[uniqueSlug(slugs, plainText(n, src))] = true
		case *ast.Link:
			m.Links = append(m.Links, Link{Dest: string(n.Destination), Line: nodeLine(n, src, lineOf)})
		case *ast.Image:
			m.Links = append(m.Links, Link{Dest: string(n.Destination), Line: nodeLine(n, src, lineOf)})
		case *ast.CodeSpan:
			m.Code = append(m.Code, plainText(n, src))
			return ast.WalkSkipChildren, nil
		case *ast.FencedCodeBlock, *ast.CodeBlock:
			m.Code = append(m.Code, string(linesOf(n, src)))
		case *ast.HTMLBlock:
			l := n.Lines()
			if l.Len() > 0 {
				addHTML(string(linesOf(n, src)), l.At(0).Start)
			}
		case *ast.RawHTML:
			if n.Segments.Len() > 0 {
				var b strings.Builder
				for i := range n.Segments.Len() {
					seg := n.Segments.At(i)
					b.Write(seg.Value(src))
				}
				addHTML(b.String(), n.Segments.At(0).Start)
			}
		}
		return ast.WalkContinue, nil
	})
	return m
}

func linesOf(n ast.Node, src []byte) []byte {
	var b bytes.Buffer
	l := n.Lines()
	for i := range l.Len() {
		seg := l.At(i)
		b.Write(seg.Value(src))
	}
	return b.Bytes()
}

// nodeLine finds the line of an inline node from its first text child.
func nodeLine(n ast.Node, src []byte, lineOf func(int) int) int {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		if t, ok := c.(*ast.Text); ok {
			return lineOf(t.Segment.Start)
		}
	}
	for p := n.Parent(); p != nil; p = p.Parent() {
		if p.Type() == ast.TypeBlock && p.Lines().Len() > 0 {
			return lineOf(p.Lines().At(0).Start)
		}
	}
	return 0
}

// plainText is the text of n as GitHub uses it for a heading's anchor.
func plainText(n ast.Node, src []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch c := c.(type) {
		case *ast.Text:
			b.Write(c.Segment.Value(src))
		case *ast.String:
			b.Write(c.Value)
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}

// Slug is GitHub's anchor for a heading text: lower case, every character
// that is not a letter, digit, mark, space, hyphen or underscore dropped,
// and each space turned into a hyphen.
func Slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// uniqueSlug numbers repeated headings the way GitHub does: x, x-1, x-2.
func uniqueSlug(seen map[string]int, heading string) string {
	s := Slug(heading)
	n, dup := seen[s]
	seen[s] = n + 1
	if !dup {
		return s
	}
	for {
		c := s + "-" + strconv.Itoa(n)
		if _, taken := seen[c]; !taken {
			seen[c] = 1
			return c
		}
		n++
	}
}

// skipDirs are never searched for Markdown: tool caches, build output and
// third-party trees.
var skipDirs = map[string]bool{
	".git": true, ".cache": true, "bin": true, "node_modules": true, ".terraform": true,
	".data": true, ".e2e": true, "vendor": true, "testdata": true,
}

// MarkdownFiles returns every .md file under root, parsed, keyed by its
// slash-separated path relative to root.
func MarkdownFiles(root string) (map[string]Markdown, error) {
	out := map[string]Markdown{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && skipDirs[d.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(d.Name(), ".md") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		out[rel] = ParseMarkdown(rel, src)
		return nil
	})
	return out, err
}

// CheckLinks returns one problem per relative link of the files that does
// not resolve: the file or folder must exist under root, and an #anchor into
// a Markdown file must name one of its headings. Links with a scheme
// (https:, mailto:) are not checked: this machine has no internet.
func CheckLinks(root string, files map[string]Markdown) []string {
	var problems []string
	for _, f := range slices.Sorted(maps.Keys(files)) {
		m := files[f]
		for _, l := range m.Links {
			if p := checkLink(root, files, m, l.Dest); p != "" {
				problems = append(problems, fmt.Sprintf("%s:%d: link %q: %s", f, l.Line, l.Dest, p))
			}
		}
	}
	return problems
}

var schemeRe = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)

func checkLink(root string, files map[string]Markdown, from Markdown, dest string) string {
	if dest == "" {
		return "empty destination"
	}
	if schemeRe.MatchString(dest) || strings.HasPrefix(dest, "//") {
		return ""
	}
	target, anchor, _ := strings.Cut(dest, "#")
	if i := strings.IndexByte(target, '?'); i >= 0 {
		target = target[:i]
	}
	target, err := url.PathUnescape(target)
	if err != nil {
		return "bad escape: " + err.Error()
	}
	var rel string
	switch {
	case target == "":
		rel = from.Path
	case strings.HasPrefix(target, "/"):
		rel = strings.TrimPrefix(target, "/") // GitHub: relative to the repository root
	default:
		rel = filepath.ToSlash(filepath.Join(filepath.Dir(from.Path), target))
	}
	if rel == ".." || strings.HasPrefix(rel, "../") {
		return "points outside the repository"
	}
	if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel))); err != nil {
		return "no such file or folder " + rel
	}
	if anchor == "" || !strings.HasSuffix(rel, ".md") {
		return ""
	}
	to, ok := files[rel]
	if !ok {
		return "not a checked Markdown file: " + rel
	}
	if !to.Anchors[anchor] {
		return fmt.Sprintf("%s has no heading with anchor #%s", rel, anchor)
	}
	return ""
}
