package docs

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/orderstack/orderstack/platform/internal/repo"
)

func TestSlug(t *testing.T) {
	tests := []struct{ in, want string }{
		{"OrdersHighErrorRate", "ordershigherrorrate"},
		{"Loss of an AZ", "loss-of-an-az"},
		{"MongoDB restore (point in time)", "mongodb-restore-point-in-time"},
		{"1. Bootstrap: remote state", "1-bootstrap-remote-state"},
		{"`make deploy` and rollback", "make-deploy-and-rollback"},
		{"Pods -- then nodes", "pods----then-nodes"},
		{"DNS + TLS", "dns--tls"},
		{"snake_case stays", "snake_case-stays"},
		{"Überblick", "überblick"},
	}
	for _, tt := range tests {
		if got := Slug(tt.in); got != tt.want {
			t.Errorf("Slug(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseMarkdown(t *testing.T) {
	src := "# Title\n\n## Step `one`\n\n## Step one\n\n## Step one\n\n" +
		"See [a](other.md#x) and ![img](d.svg) and [ref][r].\n\n" +
		"<img src=\"x.svg\" alt=\"\">\n\n<a id=\"custom\"></a>\n\n" +
		"```sh\nmake deploy ENV=dev\n[not](a-link.md)\n```\n\n" +
		"[r]: ref.md\n"
	m := ParseMarkdown("docs/p.md", []byte(src))
	for _, a := range []string{"title", "step-one", "step-one-1", "step-one-2", "custom"} {
		if !m.Anchors[a] {
			t.Errorf("anchor %q missing; have %v", a, m.Anchors)
		}
	}
	var dests []string
	for _, l := range m.Links {
		dests = append(dests, l.Dest)
	}
	if diff := cmp.Diff([]string{"other.md#x", "d.svg", "ref.md", "x.svg"}, dests); diff != "" {
		t.Errorf("links (-want +got):\n%s", diff)
	}
	if got := strings.Join(m.Code, "|"); !strings.Contains(got, "make deploy ENV=dev") || !strings.Contains(got, "one") {
		t.Errorf("code = %q, want the code span and the fenced block", got)
	}
}

func TestCheckLinks(t *testing.T) {
	root := t.TempDir()
	repo.Write(t, root, "README.md", "# Read me\n[docs](docs/a.md#second-part) [dir](docs) [abs](/docs/a.md) [web](https://example.com/x)\n")
	repo.Write(t, root, "docs/a.md", "# A\n## Second part\n[self](#a) [up](../README.md#read-me)\n"+
		"[bad file](missing.md) [bad anchor](../README.md#nope) [out](../../x.md) [svg](d.svg#frag)\n")
	repo.Write(t, root, "docs/d.svg", "<svg/>")
	files, err := MarkdownFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	got := CheckLinks(root, files)
	want := []string{
		`docs/a.md:4: link "missing.md": no such file or folder docs/missing.md`,
		`docs/a.md:4: link "../README.md#nope": README.md has no heading with anchor #nope`,
		`docs/a.md:4: link "../../x.md": points outside the repository`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CheckLinks (-want +got):\n%s", diff)
	}
}

func TestCheckDiagrams(t *testing.T) {
	dir := t.TempDir()
	src := "a -> b\n"
	// sha256("a -> b\n")
	stamped := "<?xml version=\"1.0\"?>\n" + SourceHashPrefix + sha256Hex(src) + " d2 v0.7.2 -->\n<svg/>"
	repo.Write(t, dir, "fresh.d2", src)
	repo.Write(t, dir, "fresh.svg", stamped)
	repo.Write(t, dir, "stale.d2", "a -> c\n")
	repo.Write(t, dir, "stale.svg", stamped)
	repo.Write(t, dir, "unstamped.d2", src)
	repo.Write(t, dir, "unstamped.svg", "<svg/>")
	repo.Write(t, dir, "norender.d2", src)
	repo.Write(t, dir, "orphan.svg", stamped)
	got, err := CheckDiagrams(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"orphan.svg has no D2 source beside it",
		"norender.d2 has no rendered norender.svg",
		"stale.svg was rendered from another version of stale.d2",
		"unstamped.svg carries no source hash: not rendered by d2render",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CheckDiagrams (-want +got):\n%s", diff)
	}
}

func TestRunbookURLs(t *testing.T) {
	root := t.TempDir()
	repo.Write(t, root, "docs/operations.md", "# Ops\n")
	repo.Write(t, root, "deploy/helm/c/Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n")
	repo.Write(t, root, "deploy/helm/c/values.yaml", "base: https://github.com/o/r/blob/main\n")
	repo.Write(t, root, "deploy/helm/c/templates/rule.yaml",
		"{{- if .Capabilities.APIVersions.Has \"monitoring.coreos.com/v1\" }}\n"+
			"{{- $rb := printf \"%s/docs/operations.md\" .Values.base }}\n"+
			"annotations:\n  runbook_url: {{ $rb }}#ordershigherrorrate\n{{- end }}\n")
	repo.Write(t, root, "deploy/other/rules.yaml", "x:\n  runbook_url: \"docs/operations.md#x\"\n  runbook_url: https://wiki.example/page\n")
	got, err := RunbookURLs(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []RunbookURL{
		{File: "deploy/helm/c (rendered c/templates/rule.yaml)", Line: 2, Value: "https://github.com/o/r/blob/main/docs/operations.md#ordershigherrorrate", Target: "docs/operations.md", Anchor: "ordershigherrorrate"},
		{File: "deploy/other/rules.yaml", Line: 2, Value: "docs/operations.md#x", Target: "docs/operations.md", Anchor: "x"},
		{File: "deploy/other/rules.yaml", Line: 3, Value: "https://wiki.example/page"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RunbookURLs (-want +got):\n%s", diff)
	}
}
