package docs

import (
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/orderstack/orderstack/platform/internal/repo"
)

func TestCheckDiagrams(t *testing.T) {
	dir := t.TempDir()
	src := "a -> b\n"
	stamped := "<?xml version=\"1.0\"?>\n" + SourceHashPrefix + fmt.Sprintf("%x", sha256.Sum256([]byte(src))) + " d2 v0.7.2 -->\n<svg/>"
	for name, content := range map[string]string{
		"fresh.d2": src, "fresh.svg": stamped, "stale.d2": "a -> c\n", "stale.svg": stamped,
		"unstamped.d2": src, "unstamped.svg": "<svg/>", "norender.d2": src, "orphan.svg": stamped,
	} {
		repo.Write(t, dir, name, content)
	}
	got := repo.Must[[]string](t)(CheckDiagrams(dir))
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
	got := repo.Must[[]RunbookURL](t)(RunbookURLs(root))
	want := []RunbookURL{
		{File: "deploy/helm/c (rendered c/templates/rule.yaml)", Line: 2, Value: "https://github.com/o/r/blob/main/docs/operations.md#ordershigherrorrate", Link: "docs/operations.md#ordershigherrorrate"},
		{File: "deploy/other/rules.yaml", Line: 2, Value: "docs/operations.md#x", Link: "docs/operations.md#x"},
		{File: "deploy/other/rules.yaml", Line: 3, Value: "https://wiki.example/page"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RunbookURLs (-want +got):\n%s", diff)
	}
}
