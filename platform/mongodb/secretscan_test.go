package mongodb

import (
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/orderstack/orderstack/platform/internal/repo"
)

// The scanner must flag real secret shapes and leave references and placeholders alone,
// otherwise a clean scan of deploy/ means nothing.
func TestScanForSecretsRules(t *testing.T) {
	tests := []struct {
		line     string
		wantRule string // "" means clean
	}{
		{"-----BEGIN RSA PRIVATE KEY-----", "private key"},
		{"-----BEGIN PRIVATE KEY-----", "private key"},
		{"  accessKeyId: AKIAABCDEFGHIJKLMNOP", "AWS access key id"},
		{"AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AWS secret access key"},
		{"url: mongodb://orders:hunter2@orders-mongodb-rs0:27017/orders", "password in a URI"},
		{"MONGODB_URL=mongodb+srv://admin:s3cr3t@cluster.example.com/", "password in a URI"},
		{"  password: hunter2", "credential value"},
		{`  "adminToken": "abc123"`, "credential value"},
		{"MONGODB_PASSWORD=hunter2 # temporary", "credential value"},
		{"    secretKey: abcdEFGH1234", "credential value"},

		{"existingSecret: orders-secrets", ""},
		{"automountServiceAccountToken: false", ""},
		{"imagePullSecrets: []", ""},
		{"passwordSecretRef:", ""},
		{"  password: {{ .Values.password }}", ""},
		{"  password: \"\"", ""},
		{"  token: <from the Secret>", ""},
		{"MONGODB_URL=mongodb://orders:<password>@127.0.0.1:27017/orders", ""},
		{"mongodb://$USER:${PASSWORD}@host/db", ""},
		{"mongodb://orders-mongodb-rs0-0.orders-mongodb-rs0.mongodb.svc.cluster.local:27017/orders", ""},
		{"https://percona.github.io/percona-helm-charts/", ""},
		{"              key: ADMIN_TOKEN", ""},
		{"  caSecretKey: MONGODB_CA_CRT", ""},
		{`        "caSecretKey": {`, ""},
		{"    secretKey: HUNTER2", "credential value"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			findings, files, err := ScanForSecrets(fstest.MapFS{"f.yaml": {Data: []byte("before\n" + tt.line + "\nafter\n")}})
			if err != nil || files != 1 {
				t.Fatalf("ScanForSecrets = %d files, %v", files, err)
			}
			var got string
			if len(findings) > 0 {
				got = findings[0].Rule
				if findings[0].Line != 2 {
					t.Errorf("finding on line %d, want 2", findings[0].Line)
				}
			}
			if got != tt.wantRule {
				t.Errorf("ScanForSecrets(%q) = %q, want %q", tt.line, got, tt.wantRule)
			}
		})
	}

	// Binary files are skipped, not misread.
	findings, files, err := ScanForSecrets(fstest.MapFS{"a.tgz": {Data: []byte("password: x\x00y")}})
	if err != nil || files != 0 || len(findings) != 0 {
		t.Errorf("binary file: %d files, %v, %v; want skipped", files, findings, err)
	}
}

func TestNoSecretMaterialInDeploy(t *testing.T) {
	dir := filepath.Join(repo.Root(t), "deploy")
	findings, files, err := ScanForSecrets(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	if files < 10 {
		t.Errorf("scanned %d files under deploy/, want the charts, values and examples", files)
	}
	for _, f := range findings {
		t.Errorf("deploy/%s", f)
	}
}

// The rendered chart holds no secret material either (templates can't hide a literal).
func TestRenderedClusterChartHasNoSecretMaterial(t *testing.T) {
	manifest, err := render(t, requiredValues())
	if err != nil {
		t.Fatal(err)
	}
	findings, _, err := ScanForSecrets(fstest.MapFS{"manifest.yaml": {Data: []byte(manifest)}})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range findings {
		t.Errorf("rendered %s", f)
	}
}
