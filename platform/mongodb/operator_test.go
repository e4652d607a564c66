package mongodb

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/orderstack/orderstack/platform/internal/repo"
)

// operatorValues is the part of the psmdb-operator chart's values this project sets.
type operatorValues struct {
	ReplicaCount int `json:"replicaCount"`
	Image        struct {
		Repository string `json:"repository"`
		Tag        string `json:"tag"`
		PullPolicy string `json:"pullPolicy"`
	} `json:"image"`
	WatchAllNamespaces bool                        `json:"watchAllNamespaces"`
	WatchNamespace     string                      `json:"watchNamespace"`
	DisableTelemetry   bool                        `json:"disableTelemetry"`
	LogStructured      bool                        `json:"logStructured"`
	LogLevel           string                      `json:"logLevel"`
	Resources          corev1.ResourceRequirements `json:"resources"`
	PodSecurityContext corev1.PodSecurityContext   `json:"podSecurityContext"`
	SecurityContext    corev1.SecurityContext      `json:"securityContext"`
}

// The operator chart isn't available offline, so its values are checked by shape (strictly:
// a key this struct doesn't know is a typo or an unreviewed addition) and for consistency
// with the cluster chart and the README's install command.
func TestOperatorValues(t *testing.T) {
	root := repo.Root(t)
	data, err := os.ReadFile(filepath.Join(root, "deploy", "mongodb", "operator-values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var v operatorValues
	if err := yaml.UnmarshalStrict(data, &v); err != nil {
		t.Fatalf("operator-values.yaml: %v", err)
	}
	release := strings.TrimPrefix(OperatorVersion, "v")
	if v.Image.Repository != "percona/percona-server-mongodb-operator" || v.Image.Tag != release {
		t.Errorf("operator image = %s:%s, want percona/percona-server-mongodb-operator:%s", v.Image.Repository, v.Image.Tag, release)
	}
	// Neither set: the chart watches its release namespace with a namespaced Role and RoleBinding
	// (chart templates/role.yaml and role-binding.yaml switch to ClusterRole/ClusterRoleBinding as
	// soon as watchNamespace or watchAllNamespaces is set).
	if v.WatchAllNamespaces || v.WatchNamespace != "" {
		t.Errorf("watch = all %v / %q, want neither (release namespace, namespaced RBAC)", v.WatchAllNamespaces, v.WatchNamespace)
	}
	if !v.DisableTelemetry {
		t.Error("disableTelemetry is false")
	}
	if v.Resources.Requests.Memory().IsZero() || v.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources = %v, want memory request and limit", v.Resources)
	}
	if v.SecurityContext.AllowPrivilegeEscalation == nil || *v.SecurityContext.AllowPrivilegeEscalation {
		t.Error("securityContext.allowPrivilegeEscalation is not false")
	}

	// The chart pinned in the install instructions and in Terraform installs this operator release.
	if got := operatorChartAppVersions[OperatorChartVersion]; got != release {
		t.Errorf("psmdb-operator chart %s installs operator %q, want %s", OperatorChartVersion, got, release)
	}
	readme, err := os.ReadFile(filepath.Join(root, "deploy", "mongodb", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "--version " + OperatorChartVersion; !strings.Contains(string(readme), want) {
		t.Errorf("deploy/mongodb/README.md lacks %q", want)
	}
	if re := regexp.MustCompile(`version\s*=\s*"` + regexp.QuoteMeta(OperatorChartVersion) + `"`); !re.Match(readme) {
		t.Errorf("deploy/mongodb/README.md's Terraform example lacks %s", re)
	}
	stack, err := os.ReadFile(filepath.Join(root, "infra", "modules", "stack", "variables.tf"))
	if err != nil {
		t.Fatal(err)
	}
	if re := regexp.MustCompile(`psmdb_operator\s*=\s*"([^"]+)"`); re.FindStringSubmatch(string(stack)) == nil {
		t.Error("infra/modules/stack/variables.tf pins no psmdb_operator chart")
	} else if got := re.FindStringSubmatch(string(stack))[1]; operatorChartAppVersions[got] != release {
		t.Errorf("infra/modules/stack/variables.tf pins psmdb-operator chart %s, which installs operator %q, want %s (chart %s)", got, operatorChartAppVersions[got], release, OperatorChartVersion)
	}
}
