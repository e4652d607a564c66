package workflows

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// asRole makes the sandbox's fake aws (and docker) answer as role would: its policy, rendered
// from Terraform, is $FAKE_IAM_POLICY.
func (s *sandbox) asRole(tb testing.TB, role *Role) {
	tb.Helper()
	lines, err := role.PolicyLines()
	if err != nil {
		tb.Fatal(err)
	}
	p := filepath.Join(s.State, "policy-"+role.Env+"-"+role.Name)
	write(tb, p, strings.Join(lines, "\n")+"\n", 0o644)
	s.Setenv("FAKE_IAM_POLICY="+p, "FAKE_CALLER_ARN=arn:aws:sts::"+FakeAccount+":assumed-role/orderstack-"+role.Env+"-gh-"+role.Name+"-1/GitHubActions")
}

// ciSandbox runs terraform-ci.sh with the fake terraform of testdata/fakes/terraform-ci, the fake
// aws (KMS) as env's plan role and the real openssl; plan makes a plan of planEnv at sha in dir.
func ciSandbox(t *testing.T, env string) *sandbox {
	t.Helper()
	s := newSandbox(t, "git", "aws")
	s.Fake(t, "terraform", string(must(os.ReadFile("testdata/fakes/terraform-ci"))))
	s.Real(t, "openssl")
	for _, e := range []string{"dev", "prod"} {
		write(t, filepath.Join(s.root, "infra", "envs", e+".tfvars"), "environment = \""+e+"\"\n", 0o644)
	}
	e := loadIAM(t, nil)[env]
	s.asRole(t, e.Roles["plan"])
	s.Setenv("FAKE_KMS_KEY_ARN=" + e.PlansKeyARN) // its alias is asserted by iam-github/tests/permissions.tftest.hcl
	return s
}

func (s *sandbox) tfci(t *testing.T, args ...string) (string, int) {
	t.Helper()
	r := s.Run(t, filepath.Join(s.root, "scripts", "terraform-ci.sh"), args[:3], args[3:]...)
	return r.Output, r.Code
}

func TestTerraformCIPlan(t *testing.T) {
	t.Parallel()
	s := ciSandbox(t, "dev")
	dir := filepath.Join(s.State, "plan")
	if _, code := s.tfci(t, "plan", "dev", dir, "GITHUB_SHA="+testSHA, "GITHUB_STEP_SUMMARY="+filepath.Join(s.Home, "step-summary.md")); code != 0 {
		t.Fatalf("exit %d, want 0 (plan with changes is exit 2 of terraform, not a failure)", code)
	}
	// One root for every environment: init gets the environment's backend settings, plan its variables.
	s.inOrder(t, `^terraform -chdir=\S+/infra/envs init -input=false -no-color -backend-config=dev.s3.tfbackend$`,
		`^terraform -chdir=\S+/infra/envs plan -input=false -no-color -lock-timeout=5m -detailed-exitcode -var-file=dev.tfvars -out=`+regexp.QuoteMeta(dir)+`/tfplan$`,
		`^terraform -chdir=\S+/infra/envs show -no-color `+regexp.QuoteMeta(dir)+`/tfplan$`,
		`^aws kms generate-data-key --key-id alias/orderstack-dev-ci-plans --key-spec AES_256`)
	for file, want := range map[string]string{"commit": testSHA + "\n", "environment": "dev\n", "tfplan.key": "?", "plan.txt": "?", ".terraform.lock.hcl": "?"} {
		if b, err := os.ReadFile(filepath.Join(dir, file)); err != nil || want != "?" && string(b) != want {
			t.Errorf("%s = %q, %v; want %q (? = any)", file, b, err, want)
		}
	}
	// The saved plan (secrets in clear) leaves the job only encrypted.
	if _, err := os.Stat(filepath.Join(dir, "tfplan")); err == nil {
		t.Error("the clear plan file is still in the artifact directory")
	}
	if enc, _ := os.ReadFile(filepath.Join(dir, "tfplan.enc")); strings.Contains(string(enc), "plan-of-") || len(enc) == 0 {
		t.Errorf("tfplan.enc is not encrypted: %q", enc)
	}
	summary, _ := os.ReadFile(filepath.Join(dir, "summary.md"))
	wantAll(t, string(summary), "### terraform plan: dev", "Commit `"+testSHA+"`: Plan: 1 to add, 1 to change, 0 to destroy.",
		"- `module.stack.module.eks.aws_eks_cluster.this` will be updated in-place", "- `module.stack.module.iam_github.aws_iam_role.plan` will be created")
	if step, _ := os.ReadFile(filepath.Join(s.Home, "step-summary.md")); string(step) != string(summary) {
		t.Errorf("job summary = %q, want the plan summary", step)
	}
	if out, code := s.tfci(t, "plan", "dev", filepath.Join(s.State, "plan2"), "GITHUB_SHA="+testSHA, "FAKE_PLAN_RC=1"); code == 0 || !strings.Contains(out, "terraform plan of dev failed (exit 1)") {
		t.Errorf("a failing plan: exit %d, want failure naming it", code)
	}
}

// TestTerraformCIApplyOnlyTheReviewedPlan: the apply refuses a plan of another commit or
// environment, or none, or under the plan role, and otherwise applies exactly the downloaded file.
func TestTerraformCIApplyOnlyTheReviewedPlan(t *testing.T) {
	t.Parallel()
	const otherSHA = "fedcba9876543210fedcba9876543210fedcba98"
	for _, tc := range []struct {
		name, planSHA, applyEnv, applyRole, remove, want string // want "" = success
	}{
		{"same commit and environment", testSHA, "dev", "apply", "", ""},
		{"the plan role cannot read a plan", testSHA, "dev", "plan", "", "is not authorized to perform: kms:Decrypt"},
		{"another commit", otherSHA, "dev", "apply", "", "the plan was made from commit '" + otherSHA + "', this job runs " + testSHA},
		{"another environment", testSHA, "prod", "apply", "", "the plan is of 'dev', not prod"},
		{"no plan file", testSHA, "dev", "apply", "tfplan.enc", "no encrypted plan"},
		{"no commit record", testSHA, "dev", "apply", "commit", "the plan was made from commit ''"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := ciSandbox(t, "dev")
			dir := filepath.Join(s.State, "artifact")
			if _, code := s.tfci(t, "plan", "dev", dir, "GITHUB_SHA="+tc.planSHA); code != 0 {
				t.Fatalf("plan: exit %d", code)
			}
			if tc.remove != "" {
				if err := os.Remove(filepath.Join(dir, tc.remove)); err != nil {
					t.Fatal(err)
				}
			}
			before := len(s.Calls(t))
			s.asRole(t, loadIAM(t, nil)[tc.applyEnv].Roles[tc.applyRole])
			out, code := s.tfci(t, "apply", tc.applyEnv, dir, "GITHUB_SHA="+testSHA)
			if tc.want != "" {
				if code != 1 || !strings.Contains(out, tc.want) {
					t.Errorf("exit %d, want 1 with %q", code, tc.want)
				}
				s.never(t, before, `^terraform .* apply`, "applied anyway")
				return
			}
			if code != 0 {
				t.Fatalf("exit %d, want 0", code)
			}
			s.inOrder(t, `^terraform .* plan `, `^aws kms decrypt --ciphertext-blob fileb://`+regexp.QuoteMeta(dir)+`/tfplan.key`,
				`^terraform -chdir=\S+/infra/envs init -input=false -no-color -backend-config=dev.s3.tfbackend$`,
				// A saved plan carries its variables: Terraform refuses -var-file with it.
				`^terraform -chdir=\S+/infra/envs apply -input=false -no-color -lock-timeout=5m `+regexp.QuoteMeta(dir)+`/tfplan$`)
			if b, err := os.ReadFile(filepath.Join(dir, "tfplan")); err != nil || !strings.HasPrefix(string(b), "plan-of-") {
				t.Errorf("decrypted plan = %q, %v; want terraform's plan file", b, err)
			}
		})
	}
}
