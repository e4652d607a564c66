package mongodb

import (
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/orderstack/orderstack/platform/internal/repo"
)

// TestExporterUsesOperatorMonitorUser: the exporter sidecar reads the monitor user from the
// Secret and keys the operator itself gives its PMM client, taken from the pinned operator's
// source (pkg/apis/psmdb/v1/psmdb_types.go), so a rename in a new release fails here.
func TestExporterUsesOperatorMonitorUser(t *testing.T) {
	src := operatorFile(t, "pkg/apis/psmdb/v1/psmdb_types.go")
	find := func(re string) string {
		m := regexp.MustCompile(re).FindSubmatch(src)
		if m == nil {
			t.Fatalf("operator source lacks %s", re)
		}
		return string(m[1])
	}
	if !strings.Contains(string(src), "return internalPrefix + cr.Name + userPostfix") {
		t.Fatal("operator's InternalUserSecretName changed shape")
	}
	secret := find(`internalPrefix\s*=\s*"([^"]+)"`) + "orders-mongodb" + find(`userPostfix\s*=\s*"([^"]+)"`)
	want := map[string]string{
		"MONGODB_USER":     secret + "/" + find(`EnvMongoDBClusterMonitorUser\s*=\s*"([^"]+)"`),
		"MONGODB_PASSWORD": secret + "/" + find(`EnvMongoDBClusterMonitorPassword\s*=\s*"([^"]+)"`),
	}
	got := map[string]string{}
	env, _ := at(ofKind(t, renderObjects(t, nil), "PerconaServerMongoDB"), "spec.replsets.0.sidecars.0.env").([]any)
	for _, e := range env {
		got[at(e, "name").(string)] = at(e, "valueFrom.secretKeyRef.name").(string) + "/" + at(e, "valueFrom.secretKeyRef.key").(string)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("exporter credentials (-operator +chart):\n%s", diff)
	}
}

// TestKubeStateMetricsConfigMatchesCRDsAndRules: deploy/mongodb/kube-state-metrics-values.yaml
// reads fields that exist in the operator's CRDs, is allowed to list them, and defines every
// kube_psmdb_* series the alerts and the dashboard use.
func TestKubeStateMetricsConfigMatchesCRDsAndRules(t *testing.T) {
	type path = []string
	var c struct { // field names match the file's keys case-insensitively
		KSM struct {
			RBAC struct {
				ExtraRules []struct{ APIGroups, Resources, Verbs []string }
			}
			CRS struct {
				Enabled bool
				Config  struct {
					Kind string
					Spec struct {
						Resources []struct {
							GVK            struct{ Group, Version, Kind string } `json:"groupVersionKind"`
							Prefix         string                                `json:"metricNamePrefix"`
							LabelsFromPath map[string]path
							Metrics        []struct {
								Name, Help string
								Each       struct {
									Type  string
									Gauge *struct {
										Path, ValueFrom path
										LabelsFromPath  map[string]path
									}
									StateSet *struct {
										LabelName  string
										Path, List []string
									}
								}
							}
						}
					}
				}
			} `json:"customResourceState"`
		} `json:"kube-state-metrics"`
	}
	if err := yaml.UnmarshalStrict(repoFile(t, "deploy/mongodb/kube-state-metrics-values.yaml"), &c); err != nil {
		t.Fatalf("kube-state-metrics-values.yaml: %v", err)
	}
	if !c.KSM.CRS.Enabled || c.KSM.CRS.Config.Kind != "CustomResourceStateMetrics" {
		t.Fatal("customResourceState is not enabled with a CustomResourceStateMetrics config")
	}
	backupStates := map[string]bool{}
	for _, m := range regexp.MustCompile(`BackupState\w+\s+BackupState = "([a-z]+)"`).FindAllSubmatch(operatorFile(t, "pkg/apis/psmdb/v1/perconaservermongodbbackup_types.go"), -1) {
		backupStates[string(m[1])] = true
	}
	if len(backupStates) < 3 {
		t.Fatalf("found only %v BackupStates in the operator source", backupStates)
	}
	defined := map[string]bool{}
	for _, r := range c.KSM.CRS.Config.Spec.Resources {
		gvk := r.GVK.Group + "/" + r.GVK.Version + "/" + r.GVK.Kind
		v := crds(t)[r.GVK.Kind]
		if v == nil || v.GVK.Group != r.GVK.Group || v.GVK.Version != r.GVK.Version {
			t.Errorf("%s: not a kind of the operator's CRDs", gvk)
			continue
		}
		in := func(p ...path) bool { return schemaHas(v.Schema, slices.Concat(p...)) }
		plural := strings.ToLower(r.GVK.Kind) + "s"
		if !slices.ContainsFunc(c.KSM.RBAC.ExtraRules, func(rule struct{ APIGroups, Resources, Verbs []string }) bool {
			return slices.Contains(rule.APIGroups, r.GVK.Group) && slices.Contains(rule.Resources, plural) &&
				slices.Contains(rule.Verbs, "list") && slices.Contains(rule.Verbs, "watch")
		}) {
			t.Errorf("%s: rbac.extraRules do not let kube-state-metrics list and watch %s", gvk, plural)
		}
		for label, p := range r.LabelsFromPath {
			if !in(p) {
				t.Errorf("%s label %s: path %v is not in the CRD", gvk, label, p)
			}
		}
		for _, m := range r.Metrics {
			defined[r.Prefix+"_"+m.Name] = true
			switch g, ss := m.Each.Gauge, m.Each.StateSet; {
			case g != nil:
				if !in(g.Path, g.ValueFrom) {
					t.Errorf("%s %s: value %v%v is not in the CRD", gvk, m.Name, g.Path, g.ValueFrom)
				}
				for label, p := range g.LabelsFromPath {
					if !in(g.Path, p) {
						t.Errorf("%s %s label %s: %v%v is not in the CRD", gvk, m.Name, label, g.Path, p)
					}
				}
			case ss != nil:
				if !in(ss.Path) {
					t.Errorf("%s %s: path %v is not in the CRD", gvk, m.Name, ss.Path)
				}
				if r.GVK.Kind != "PerconaServerMongoDBBackup" {
					continue
				}
				for _, st := range ss.List {
					if !backupStates[st] {
						t.Errorf("%s %s: state %q is not a BackupState of the operator (%v)", gvk, m.Name, st, backupStates)
					}
				}
				if !slices.Contains(ss.List, "error") || !slices.Contains(ss.List, "ready") {
					t.Errorf("%s %s: list %v lacks error or ready", gvk, m.Name, ss.List)
				}
			default:
				t.Errorf("%s %s: neither Gauge nor StateSet", gvk, m.Name)
			}
		}
	}

	// Every kube_psmdb_* series read by the rules and the dashboard is one defined above.
	text := repo.Must[[]byte](t)(json.Marshal(ofKind(t, renderObjects(t, nil), "PrometheusRule")))
	dash := repoFile(t, "deploy/mongodb/cluster/dashboards/mongodb.json")
	missing := map[string]bool{}
	for _, m := range regexp.MustCompile(`kube_psmdb_[a-z_]+`).FindAll(append(text, dash...), -1) {
		missing[string(m)] = !defined[string(m)]
	}
	if maps.DeleteFunc(missing, func(_ string, miss bool) bool { return !miss }); len(missing) > 0 {
		t.Errorf("series used but not defined by kube-state-metrics-values.yaml: %v (defined: %v)", slices.Sorted(maps.Keys(missing)), defined)
	}
	if !strings.Contains(string(text), "kube_psmdb_") {
		t.Error("the rules read no kube_psmdb_* series")
	}
}

// schemaHas reports whether path leads to a field of s. metadata is the standard ObjectMeta,
// which CRD schemas leave open: only the fields the checks use are accepted there.
func schemaHas(s *apiextensionsv1.JSONSchemaProps, path []string) bool {
	if len(path) == 2 && path[0] == "metadata" {
		return slices.Contains([]string{"name", "namespace", "creationTimestamp"}, path[1])
	}
	for _, p := range path {
		next, ok := s.Properties[p]
		if !ok {
			return false
		}
		s = &next
	}
	return true
}
