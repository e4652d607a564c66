package terraform

import (
	"strings"
	"testing"
)

// Each check must catch what it is for: run it on a small bad tree and expect a named problem.

func parseTree(tb testing.TB, tree map[string]string) []File {
	tb.Helper()
	var files []File
	for path, src := range tree {
		f, err := Parse(path, []byte(src))
		if err != nil {
			tb.Fatalf("Parse(%s): %v", path, err)
		}
		files = append(files, f)
	}
	return files
}

func wantProblem(t *testing.T, problems []string, substr string) {
	t.Helper()
	for _, p := range problems {
		if strings.Contains(p, substr) {
			return
		}
	}
	t.Errorf("problems = %q, want one containing %q", problems, substr)
}

func TestChecksCatchViolations(t *testing.T) {
	for _, tc := range []struct {
		name  string
		tree  map[string]string
		check func([]File) []string
		want  string
	}{
		{
			name:  "password output",
			tree:  map[string]string{"m/outputs.tf": "output \"grafana_password\" {\n  description = \"x\"\n  value = \"a\"\n}\n"},
			check: CheckOutputs,
			want:  "looks like a secret",
		},
		{
			name:  "sensitive output",
			tree:  map[string]string{"m/outputs.tf": "output \"x\" {\n  description = \"x\"\n  value = 1\n  sensitive = true\n}\n"},
			check: CheckOutputs,
			want:  "sensitive outputs are not allowed",
		},
		{
			name:  "registry module",
			tree:  map[string]string{"r/main.tf": "module \"vpc\" {\n  source = \"terraform-aws-modules/vpc/aws\"\n  version = \"5.0.0\"\n}\n"},
			check: CheckModuleSources,
			want:  "is not a local path",
		},
		{
			name:  "unpinned chart",
			tree:  map[string]string{"m/main.tf": "resource \"helm_release\" \"x\" {\n  repository = \"https://example.invalid\"\n  chart = \"x\"\n}\n"},
			check: CheckHelmReleases,
			want:  "without version",
		},
		{
			name:  "range chart version",
			tree:  map[string]string{"m/main.tf": "resource \"helm_release\" \"x\" {\n  repository = \"https://example.invalid\"\n  chart = \"x\"\n  version = \"~1.2\"\n}\n"},
			check: CheckHelmReleases,
			want:  "is not exact",
		},
		{
			name:  "aws provider without default tags",
			tree:  map[string]string{"envs/x/providers.tf": "provider \"aws\" {\n  region = \"eu-west-1\"\n}\n"},
			check: func(f []File) []string { return CheckDefaultTags(f, []string{"envs/x"}) },
			want:  "without default_tags",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantProblem(t, tc.check(parseTree(t, tc.tree)), tc.want)
		})
	}
}
