//go:build trivy

package secrets

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/orderstack/orderstack/platform/internal/repo"
)

// scan runs Trivy's secret scanner with the project's rules on dir, as `make scan` does, and
// returns the rule ids found per file and line ("file:line" -> rule id).
func scan(t *testing.T, dir string) map[string]string {
	t.Helper()
	trivy := os.Getenv("TRIVY")
	if _, err := os.Stat(trivy); trivy == "" || err != nil {
		t.Skipf("no Trivy binary at TRIVY=%q: run `make scan`, which builds Trivy and passes its path", trivy)
	}
	cmd := exec.Command(trivy, "fs", "--scanners", "secret", "--format", "json", "--quiet",
		"--cache-dir", t.TempDir(), "--skip-version-check", "--disable-telemetry",
		"--secret-config", filepath.Join(repo.Root(t), "tools", "trivy", "trivy-secret.yaml"), dir)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %v\n%s", cmd.Args, err, out)
	}
	var report struct {
		Results []struct {
			Target  string
			Secrets []struct{ RuleID, StartLine any }
		}
	}
	if err := json.Unmarshal(out, &report); err != nil {
		t.Fatalf("trivy JSON: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, r := range report.Results {
		for _, s := range r.Secrets {
			got[fmt.Sprintf("%s:%v", r.Target, s.StartLine)] = fmt.Sprint(s.RuleID)
		}
	}
	return got
}

// TestTrivyFindsPlantedSecrets plants each shape of secret in its own file (on line 2, between
// two harmless lines) and next to it the references and placeholders the repository is full of,
// which must stay clean: otherwise a clean scan of the repository means nothing.
func TestTrivyFindsPlantedSecrets(t *testing.T) {
	cases := []struct {
		file, line string
		wantRule   string // "" means clean; "rule@N": found on line N instead of 2
	}{
		{"values.yaml", "url: mongodb://orders:hunter2@orders-mongodb-rs0:27017/orders", "uri-password"},
		{"app.env", "MONGODB_URL=mongodb+srv://admin:s3cr3t@cluster.example.com/", "uri-password"},
		{"aws.env", "AWS_ACCESS_KEY_ID=AKIAQYLPMN5HHHFPZAM2", "aws-access-key-id"},
		{"aws.sh", "export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ8BCdHzYt", "aws-secret-access-key"},
		// Trivy reports a private key at its first line of key material, the line after BEGIN.
		{"key.pem", "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n-----END RSA PRIVATE KEY-----", "private-key@3"},
		{"creds.yaml", "  password: hunter2", "credential-value"},
		{"token.json", `  "adminToken": "abc123xyz"`, "credential-value"},
		{"pw.env", "MONGODB_PASSWORD=hunter2 # temporary", "credential-value"},
		{"docs.md", "Connect with `mongodb://orders:hunter2@127.0.0.1:27017/orders`.", "uri-password"},
		{"example-cluster.yaml", "    secretKey: abcdEFGH1234", "credential-value"},

		{"ref.yaml", "existingSecret: orders-secrets", ""},
		{"sa.yaml", "automountServiceAccountToken: false", ""},
		{"pull.yaml", "imagePullSecrets: []", ""},
		{"tpl.yaml", "  password: {{ .Values.password }}", ""},
		{"empty.yaml", `  password: ""`, ""},
		{"angle.yaml", "  token: <from the Secret>", ""},
		{"placeholder.md", "MONGODB_URL=mongodb://orders:<password>@127.0.0.1:27017/orders", ""},
		{"vars.sh", `url="mongodb://$USER:${PASSWORD}@host/db"`, ""},
		{"host.yaml", "url: mongodb://orders-mongodb-rs0-0.orders-mongodb-rs0.mongodb.svc.cluster.local:27017/orders", ""},
		{"keyname.yaml", "  caSecretKey: MONGODB_CA_CRT", ""},
		{"schema.json", `        "caSecretKey": {`, ""},
		{"config.md", "a host-name check (`mongodb://u:p@bad host/x` is refused)", ""},
		{"words.md", "(`mongodb://user:password@host`)", ""},
		{"format.sh", `printf 'mongodb://%s:%s@%s/%s' "$user" "$password" "$hosts" "$db"`, ""},
		{"workflow.yml", "      id-token: write", ""},
		{"run.go", `	cfg.adminToken = getenv("SMOKE_ADMIN_TOKEN")`, ""},
	}
	dir := t.TempDir()
	want := map[string]string{}
	for _, c := range cases {
		repo.Write(t, dir, c.file, "before: 1\n"+c.line+"\nafter: 2\n")
		if rule, line, ok := strings.Cut(c.wantRule, "@"); ok {
			want[c.file+":"+line] = rule
		} else if c.wantRule != "" {
			want[c.file+":2"] = c.wantRule
		}
	}
	if diff := cmp.Diff(want, scan(t, dir)); diff != "" {
		t.Errorf("findings by file:line (-want +got):\n%s", diff)
	}
}
