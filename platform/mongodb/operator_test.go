package mongodb

import (
	"regexp"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// operatorValues is the part of the psmdb-operator chart's values this project sets (field names
// match the file's keys case-insensitively).
type operatorValues struct {
	ReplicaCount                                        int
	Image                                               struct{ Repository, Tag, PullPolicy string }
	WatchAllNamespaces, DisableTelemetry, LogStructured bool
	WatchNamespace, LogLevel                            string
	Resources                                           corev1.ResourceRequirements
	PodSecurityContext                                  corev1.PodSecurityContext
	SecurityContext                                     corev1.SecurityContext
}

// readOperatorValues decodes deploy/mongodb/operator-values.yaml strictly.
func readOperatorValues(t *testing.T) (v operatorValues) {
	if err := yaml.UnmarshalStrict(repoFile(t, "deploy/mongodb/operator-values.yaml"), &v); err != nil {
		t.Fatalf("operator-values.yaml: %v", err)
	}
	return v
}

// TestOperatorValues: the operator chart isn't available offline, so its values are checked by
// shape (strictly: a key this struct doesn't know is a typo or an unreviewed addition) and for
// consistency with the cluster chart, the README's install command and Terraform's pin.
func TestOperatorValues(t *testing.T) {
	v := readOperatorValues(t)
	release := strings.TrimPrefix(OperatorVersion, "v")
	if v.Image.Repository != "percona/percona-server-mongodb-operator" || v.Image.Tag != release {
		t.Errorf("operator image = %s:%s, want percona/percona-server-mongodb-operator:%s", v.Image.Repository, v.Image.Tag, release)
	}
	// Neither set: the chart watches its release namespace with a namespaced Role and RoleBinding
	// (chart templates/role.yaml and role-binding.yaml switch to ClusterRole/ClusterRoleBinding as
	// soon as watchNamespace or watchAllNamespaces is set).
	if v.WatchAllNamespaces || v.WatchNamespace != "" || !v.DisableTelemetry {
		t.Errorf("watch = all %v / %q, disableTelemetry %v; want the release namespace only (namespaced RBAC), no telemetry", v.WatchAllNamespaces, v.WatchNamespace, v.DisableTelemetry)
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
	readme := string(repoFile(t, "deploy/mongodb/README.md"))
	pin := regexp.MustCompile(`version\s*=\s*"` + regexp.QuoteMeta(OperatorChartVersion) + `"`)
	if !strings.Contains(readme, "--version "+OperatorChartVersion) || !pin.MatchString(readme) {
		t.Errorf("deploy/mongodb/README.md lacks --version %s or the Terraform example's %s", OperatorChartVersion, pin)
	}
	m := regexp.MustCompile(`psmdb_operator\s*=\s*"([^"]+)"`).FindSubmatch(repoFile(t, "infra/modules/stack/variables.tf"))
	if m == nil || operatorChartAppVersions[string(m[1])] != release {
		t.Errorf("infra/modules/stack/variables.tf pins psmdb-operator chart %q, want one that installs operator %s (chart %s)", m, release, OperatorChartVersion)
	}
}
