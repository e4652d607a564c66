package docs

import (
	"testing"

	"github.com/orderstack/orderstack/platform/internal/repo"
)

// BenchmarkLinkCheck: parse every Markdown file of the repository and
// resolve all their links and anchors.
func BenchmarkLinkCheck(b *testing.B) {
	root := repo.Root(b)
	for b.Loop() {
		files, err := MarkdownFiles(root)
		if err != nil {
			b.Fatal(err)
		}
		_ = CheckLinks(root, files)
	}
}

// BenchmarkRunbookURLs: render the charts that carry runbook_url with the
// Helm SDK and extract the URLs.
func BenchmarkRunbookURLs(b *testing.B) {
	root := repo.Root(b)
	for b.Loop() {
		if _, err := RunbookURLs(root); err != nil {
			b.Fatal(err)
		}
	}
}
