package chart

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/orderstack/orderstack/platform/internal/repo"
)

// TestMongoDBCAMatchesSecretScript: the chart mounts the CA key scripts/mongodb-secret.sh stores
// at the file its MONGODB_URL's tlsCAFile names (deploy/helm/orders/tests/mongodbca_test.yaml
// pins the mount to mongodb.caMountPath/ca.crt and mongodb.caSecretKey).
func TestMongoDBCAMatchesSecretScript(t *testing.T) {
	root := repo.Root(t)
	b, err := os.ReadFile(filepath.Join(root, "scripts", "mongodb-secret.sh"))
	if err != nil {
		t.Fatal(err)
	}
	script := string(b)
	file := regexp.MustCompile(`(?m)^ca_file=\$\{MONGODB_CA_FILE:-([^}]+)\}$`).FindStringSubmatch(script)
	key := regexp.MustCompile(`(?m)^\s*keys\+=\(([A-Z_]+)\)$`).FindStringSubmatch(script)
	if file == nil || key == nil || !strings.Contains(script, "tlsCAFile=${ca_file}") || !strings.Contains(script, `"$work/`+key[1]+`"`) {
		t.Fatalf("scripts/mongodb-secret.sh: want ca_file=${MONGODB_CA_FILE:-<path>} put into tlsCAFile, and keys+=(<CA key>) written to $work/<key>; got %q %q", file, key)
	}
	b, err = os.ReadFile(filepath.Join(chartDir(t), "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		MongoDB struct{ CASecretKey, CAMountPath string }
	}
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if got := v.MongoDB.CAMountPath + "/ca.crt"; got != file[1] {
		t.Errorf("the chart mounts the CA as %s, scripts/mongodb-secret.sh writes tlsCAFile=%s", got, file[1])
	}
	if v.MongoDB.CASecretKey != key[1] {
		t.Errorf("the chart mounts Secret key %q, scripts/mongodb-secret.sh stores the CA as %q", v.MongoDB.CASecretKey, key[1])
	}
}
