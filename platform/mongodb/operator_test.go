package mongodb

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// operatorValues is the part of the psmdb-operator chart's values this project sets, under the
// keys the chart's templates read (Helm matches them case-sensitively).
type operatorValues struct {
	ReplicaCount int `json:"replicaCount"`
	Image        struct {
		Repository string `json:"repository"`
		Tag        string `json:"tag"`
		PullPolicy string `json:"pullPolicy"`
	} `json:"image"`
	WatchAllNamespaces bool                        `json:"watchAllNamespaces"`
	DisableTelemetry   bool                        `json:"disableTelemetry"`
	LogStructured      bool                        `json:"logStructured"`
	WatchNamespace     string                      `json:"watchNamespace"`
	LogLevel           string                      `json:"logLevel"`
	Resources          corev1.ResourceRequirements `json:"resources"`
	PodSecurityContext corev1.PodSecurityContext   `json:"podSecurityContext"`
	SecurityContext    corev1.SecurityContext      `json:"securityContext"`
}

// readOperatorValues decodes deploy/mongodb/operator-values.yaml strictly and case-sensitively
// (sigs.k8s.io/json, as the API server decodes): a key this struct doesn't know, in any spelling
// (DisableTelemetry for disableTelemetry, which the chart would ignore), is an error.
func readOperatorValues(t *testing.T) (v operatorValues) {
	js, err := yaml.YAMLToJSON(repoFile(t, "deploy/mongodb/operator-values.yaml"))
	if err == nil {
		var strict []error
		if strict, err = sigsjson.UnmarshalStrict(js, &v); err == nil {
			err = errors.Join(strict...)
		}
	}
	if err != nil {
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
