package terraform

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// tfConsole evaluates expr with the real terraform (`terraform console`) in a copy of module
// directory dir of infra/, with the variables of tfvars (HCL), and returns what it prints. The
// providers are the schema stand-in (tools/tfschema) as in tools/terraform/check.sh: make
// test-infra passes TERRAFORM and TFSCHEMA; without them the test is skipped. Only the last line
// is returned (before it terraform warns that provider overrides are in effect): expr must print
// one line, e.g. jsonencode(...).
func tfConsole(t *testing.T, dir, tfvars, expr string) []byte {
	t.Helper()
	tf, schema := os.Getenv("TERRAFORM"), os.Getenv("TFSCHEMA")
	if tf == "" || schema == "" {
		t.Skip("TERRAFORM and TFSCHEMA are not set: run make test-infra, which builds both")
	}
	work := t.TempDir()
	mod := filepath.Join(work, "module")
	if err := os.CopyFS(mod, os.DirFS(filepath.Join(infraDir, dir))); err != nil {
		t.Fatal(err)
	}
	rc := "provider_installation {\n  dev_overrides {\n"
	for _, p := range []string{"aws", "helm", "kubernetes", "random"} {
		if err := os.Symlink(schema, filepath.Join(work, "terraform-provider-"+p)); err != nil {
			t.Fatal(err)
		}
		rc += "    \"hashicorp/" + p + "\" = \"" + work + "\"\n"
	}
	rc += "  }\n  filesystem_mirror {\n    path    = \"" + work + "/none\"\n    include = [\"example.invalid/*/*\"]\n  }\n}\n"
	for name, text := range map[string]string{"terraformrc": rc, "vars.tfvars": tfvars} {
		if err := os.WriteFile(filepath.Join(work, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(tf, "-chdir="+mod, "console", "-var-file="+filepath.Join(work, "vars.tfvars"))
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+filepath.Join(work, "terraformrc"), "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1", "TF_DATA_DIR="+filepath.Join(work, "data"))
	cmd.Stdin = bytes.NewBufferString(expr + "\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("terraform console %s <<< %s: %v\n%s%s", dir, expr, err, out, stderr.Bytes())
	}
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	return lines[len(lines)-1]
}
