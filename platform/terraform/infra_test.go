package terraform

import (
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/orderstack/orderstack/platform/internal/repo"
)

const infraDir = "../../infra"

// outputReaders finds the Terraform outputs the repository reads: `terraform output -raw NAME`,
// the scripts' `tf_output NAME` and `from_tf VAR NAME`.
var (
	outputReaders = regexp.MustCompile(`(?:output -raw|tf_output|from_tf [A-Z_]+)\s+"?([a-z][a-z0-9_]*)`)
	outputBlock   = regexp.MustCompile(`(?m)^output "([a-z0-9_]+)"`)
)

// TestEnvOutputsContract: the outputs CI/CD reads (docs/development.md) and every output that a
// script, workflow, Make fragment or doc reads exist in the environment root.
func TestEnvOutputsContract(t *testing.T) {
	want := map[string]string{}
	for _, o := range []string{"region", "cluster_name", "kubeconfig_command", "ecr_repository_url", "github_push_role_arn",
		"github_deploy_role_arn", "github_plan_role_arn", "github_apply_role_arn", "app_namespace", "alb_hostname_command", "mongodb_backup_bucket"} {
		want[o] = "docs/development.md"
	}
	var readers []string
	for _, pattern := range []string{"scripts/*.sh", "infra/scripts/*.sh", ".github/workflows/*.yml", "mk/*.mk", "docs/*.md", "deploy/*/README.md", "README.md"} {
		m, _ := filepath.Glob(filepath.Join(infraDir, "..", pattern))
		readers = append(readers, m...)
	}
	for _, path := range readers {
		for _, line := range strings.Split(repo.Read(t, path), "\n") {
			// docs/resources.md is generated from infra/ itself; the bootstrap root's outputs are not an environment's.
			if filepath.Base(path) != "resources.md" && !strings.Contains(line, "-chdir=infra/bootstrap") {
				for _, m := range outputReaders.FindAllStringSubmatch(line, -1) {
					want[m[1]] = filepath.ToSlash(path)
				}
			}
		}
	}
	for _, o := range []string{"grafana_password_command", "developers_role_arn", "alb_hostname_command"} {
		if _, ok := want[o]; !ok {
			t.Errorf("no reader of output %q found; the scan of %d files is broken", o, len(readers))
		}
	}
	have := map[string]bool{}
	for _, m := range outputBlock.FindAllStringSubmatch(repo.Read(t, filepath.Join(infraDir, "envs", "outputs.tf")), -1) {
		have[m[1]] = true
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		if !have[name] {
			t.Errorf("infra/envs/outputs.tf: no output %q (read by %s)", name, want[name])
		}
	}
}
