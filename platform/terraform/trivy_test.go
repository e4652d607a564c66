//go:build trivy

package terraform

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/orderstack/orderstack/platform/internal/repo"
	"github.com/orderstack/orderstack/platform/internal/tfrun"
)

// trivyFindings runs `trivy config` with the flags of `make scan` (TRIVY_FLAGS) on dir and returns
// "file check-id" of each finding, and whether Trivy failed the scan.
func trivyFindings(t *testing.T, dir string) ([]string, bool) {
	t.Helper()
	if os.Getenv("TRIVY") == "" {
		t.Skip("TRIVY is not set: run `make scan`, which builds Trivy and passes its path and flags")
	}
	cmd := exec.Command(os.Getenv("TRIVY"), slices.Concat([]string{"config"}, strings.Fields(os.Getenv("TRIVY_FLAGS")), []string{"--quiet", "--format", "json", dir})...)
	out, err := cmd.Output()
	failed := err != nil
	if ee, ok := err.(*exec.ExitError); failed && (!ok || ee.ExitCode() != 1) {
		t.Fatalf("%v: %v\n%s", cmd.Args, err, out)
	}
	var report struct {
		Results []struct {
			Target            string
			Misconfigurations []struct{ ID string }
		}
	}
	var got []string
	if err := json.Unmarshal(out, &report); err != nil {
		t.Fatalf("trivy JSON: %v\n%s", err, out)
	}
	for _, r := range report.Results {
		for _, m := range r.Misconfigurations {
			got = append(got, r.Target+" "+m.ID)
		}
	}
	return got, failed
}

// copyInfra copies infra/ without terraform's working files to a temporary folder.
func copyInfra(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	if err := tfrun.CopyTree(filepath.Join(repo.Root(t), "infra"), dst); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestTrivyCatchesMutations breaks one line of a copy of infra/ at a time and expects `make scan`'s
// Trivy configuration scan to fail with the named check (trivy-checks, checks/cloud/aws/...).
// These replaced the Go security rules of platform/terraform; the rules Trivy lacks are
// `terraform test` assertions (docs/infra.md, "Checks").
func TestTrivyCatchesMutations(t *testing.T) {
	if got, failed := trivyFindings(t, copyInfra(t)); failed || len(got) > 0 {
		t.Fatalf("the unmutated tree already fails the scan: %q", got)
	}
	for _, tc := range []struct {
		name, path, old, new string
		want                 string // "check-id" in path, or "check-id file" when Trivy reports it elsewhere
	}{
		{"IMDSv1 allowed", "modules/eks/main.tf", `http_tokens                 = "required"`, `http_tokens                 = "optional"`, "AWS-0130"},
		{"KMS key not rotated", "modules/eks/main.tf", "enable_key_rotation     = true", "enable_key_rotation     = false", "AWS-0065"},
		{"secrets not encrypted", "modules/eks/main.tf", `resources = ["secrets"]`, `resources = []`, "AWS-0039"},
		{"no audit log", "modules/eks/locals.tf", `"audit", `, "", "AWS-0038 modules/eks/main.tf"},
		{"backup bucket public", "modules/backup-bucket/main.tf", "restrict_public_buckets = true", "restrict_public_buckets = false", "AWS-0093"},
		{"log bucket public policy", "modules/edge/main.tf", "block_public_policy     = true", "block_public_policy     = false", "AWS-0087"},
		{"state bucket public ACLs", "bootstrap/main.tf", "block_public_acls       = true", "block_public_acls       = false", "AWS-0086"},
		{"state bucket unversioned", "bootstrap/main.tf", `status = "Enabled"`, `status = "Suspended"`, "AWS-0090"},
		{"backup bucket unencrypted", "modules/backup-bucket/main.tf", "resource \"aws_s3_bucket_server_side_encryption_configuration\" \"this\" {\n  bucket = aws_s3_bucket.this.id", "resource \"aws_s3_bucket_server_side_encryption_configuration\" \"this\" {\n  bucket = \"elsewhere\"", "AWS-0132"},
		{"SSH open to the world", "modules/network/main.tf", "cidr_ipv4         = aws_vpc.this.cidr_block\n  ip_protocol       = \"tcp\"\n  from_port         = 443\n  to_port           = 443", "cidr_ipv4         = \"0.0.0.0/0\"\n  ip_protocol       = \"tcp\"\n  from_port         = 22\n  to_port           = 22", "AWS-0107"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyInfra(t)
			path := filepath.Join(dir, tc.path)
			src := repo.Read(t, path)
			if !strings.Contains(src, tc.old) {
				t.Fatalf("%s does not contain %q; update the mutation", tc.path, tc.old)
			}
			if err := os.WriteFile(path, []byte(strings.Replace(src, tc.old, tc.new, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			id, file, ok := strings.Cut(tc.want, " ")
			if !ok {
				file = tc.path
			}
			got, failed := trivyFindings(t, dir)
			if !failed || !slices.Contains(got, file+" "+id) {
				t.Errorf("scan failed = %v, findings %q; want a failed scan with %s in %s", failed, got, id, file)
			}
		})
	}
}
