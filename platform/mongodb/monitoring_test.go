package mongodb

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/orderstack/orderstack/platform/internal/repo"
)

// The exporter sidecar and its scrape: the credentials are the operator's monitor user,
// read from the Secret the operator itself gives its PMM client, and the PodMonitor selects
// the pods the operator labels as mongod members, on the port the sidecar opens.
func TestExporterSidecarUsesOperatorMonitorUser(t *testing.T) {
	_, objs := renderCluster(t, nil)
	crs := objectsOfKind(objs, "PerconaServerMongoDB")
	var c struct {
		Spec struct {
			Replsets []struct {
				Sidecars []corev1.Container `json:"sidecars"`
			} `json:"replsets"`
		} `json:"spec"`
	}
	view(t, crs[0], &c)
	if len(c.Spec.Replsets) != 1 || len(c.Spec.Replsets[0].Sidecars) != 1 {
		t.Fatalf("replsets[].sidecars = %+v, want one exporter sidecar", c.Spec.Replsets)
	}
	sc := c.Spec.Replsets[0].Sidecars[0]

	// The names the operator uses, read from its source at the pinned release.
	secretName, userKey, passwordKey := operatorMonitorSecret(t, "orders-mongodb")
	want := map[string][2]string{"MONGODB_USER": {secretName, userKey}, "MONGODB_PASSWORD": {secretName, passwordKey}}
	got := map[string][2]string{}
	for _, e := range sc.Env {
		if e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			t.Errorf("env %s is not read from a Secret: %+v", e.Name, e)
			continue
		}
		got[e.Name] = [2]string{e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("exporter credentials (-want +got):\n%s", diff)
	}
	for _, a := range sc.Args {
		if strings.Contains(a, "@") || strings.Contains(a, "password") {
			t.Errorf("exporter argument %q carries credentials", a)
		}
	}
	// The alerts read --compatible-mode series (mongodb_mongod_replset_*, mongodb_connections).
	for _, flag := range []string{"--compatible-mode", "--collector.diagnosticdata", "--collector.replicasetstatus"} {
		if !slices.Contains(sc.Args, flag) {
			t.Errorf("exporter args %v lack %s", sc.Args, flag)
		}
	}
	var metricsPort string
	for _, p := range sc.Ports {
		if p.ContainerPort == 9216 {
			metricsPort = p.Name
		}
	}
	if metricsPort == "" {
		t.Fatalf("sidecar ports %+v: no 9216", sc.Ports)
	}

	pms := objectsOfKind(objs, "PodMonitor")
	if len(pms) != 1 {
		t.Fatalf("rendered %d PodMonitors, want 1", len(pms))
	}
	var pm struct {
		Spec struct {
			Selector struct {
				MatchLabels map[string]string `json:"matchLabels"`
			} `json:"selector"`
			NamespaceSelector struct {
				MatchNames []string `json:"matchNames"`
			} `json:"namespaceSelector"`
			Endpoints []struct {
				Port string `json:"port"`
			} `json:"podMetricsEndpoints"`
		} `json:"spec"`
	}
	view(t, pms[0], &pm)
	// Labels the operator puts on mongod pods (pkg/naming/labels.go MongodLabels).
	podLabels := map[string]string{
		"app.kubernetes.io/name": "percona-server-mongodb", "app.kubernetes.io/part-of": "percona-server-mongodb",
		"app.kubernetes.io/managed-by": "percona-server-mongodb-operator",
		"app.kubernetes.io/instance":   "orders-mongodb", "app.kubernetes.io/replset": "rs0", "app.kubernetes.io/component": "mongod",
	}
	if len(pm.Spec.Selector.MatchLabels) == 0 {
		t.Error("PodMonitor selects every pod")
	}
	for k, v := range pm.Spec.Selector.MatchLabels {
		if podLabels[k] != v {
			t.Errorf("PodMonitor selects %s=%s, which the member pods do not carry", k, v)
		}
	}
	if !cmp.Equal(pm.Spec.NamespaceSelector.MatchNames, []string{"mongodb"}) {
		t.Errorf("PodMonitor namespaces = %v, want [mongodb]", pm.Spec.NamespaceSelector.MatchNames)
	}
	if len(pm.Spec.Endpoints) != 1 || pm.Spec.Endpoints[0].Port != metricsPort {
		t.Errorf("PodMonitor endpoints = %+v, want port %q of the sidecar", pm.Spec.Endpoints, metricsPort)
	}
}

// operatorMonitorSecret returns the Secret and keys the operator's PMM client reads the monitor
// user from, taken from the operator's source (pkg/apis/psmdb/v1/psmdb_types.go) so a rename in
// a new release fails here.
func operatorMonitorSecret(tb testing.TB, cluster string) (name, userKey, passwordKey string) {
	tb.Helper()
	crd, err := OperatorCRDPath(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(filepath.Dir(filepath.Dir(crd)), "pkg", "apis", "psmdb", "v1", "psmdb_types.go"))
	if err != nil {
		tb.Fatal(err)
	}
	find := func(re string) string {
		m := regexp.MustCompile(re).FindSubmatch(src)
		if m == nil {
			tb.Fatalf("operator source lacks %s", re)
		}
		return string(m[1])
	}
	prefix := find(`internalPrefix\s*=\s*"([^"]+)"`)
	postfix := find(`userPostfix\s*=\s*"([^"]+)"`)
	if !bytes.Contains(src, []byte("return internalPrefix + cr.Name + userPostfix")) {
		tb.Fatal("operator's InternalUserSecretName changed shape")
	}
	return prefix + cluster + postfix,
		find(`EnvMongoDBClusterMonitorUser\s*=\s*"([^"]+)"`),
		find(`EnvMongoDBClusterMonitorPassword\s*=\s*"([^"]+)"`)
}

// ksmConfig is deploy/mongodb/kube-state-metrics-values.yaml, the part the checks read.
type ksmConfig struct {
	KSM struct {
		RBAC struct {
			ExtraRules []struct {
				APIGroups []string `json:"apiGroups"`
				Resources []string `json:"resources"`
				Verbs     []string `json:"verbs"`
			} `json:"extraRules"`
		} `json:"rbac"`
		CustomResourceState struct {
			Enabled bool `json:"enabled"`
			Config  struct {
				Kind string `json:"kind"`
				Spec struct {
					Resources []ksmResource `json:"resources"`
				} `json:"spec"`
			} `json:"config"`
		} `json:"customResourceState"`
	} `json:"kube-state-metrics"`
}

type ksmResource struct {
	GVK struct {
		Group, Version, Kind string
	} `json:"groupVersionKind"`
	Prefix         string              `json:"metricNamePrefix"`
	LabelsFromPath map[string][]string `json:"labelsFromPath"`
	Metrics        []struct {
		Name string `json:"name"`
		Help string `json:"help"`
		Each struct {
			Type  string `json:"type"`
			Gauge *struct {
				Path           []string            `json:"path"`
				ValueFrom      []string            `json:"valueFrom"`
				LabelsFromPath map[string][]string `json:"labelsFromPath"`
			} `json:"gauge"`
			StateSet *struct {
				LabelName string   `json:"labelName"`
				Path      []string `json:"path"`
				List      []string `json:"list"`
			} `json:"stateSet"`
		} `json:"each"`
	} `json:"metrics"`
}

func loadKSMConfig(tb testing.TB) ksmConfig {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(repo.Root(tb), "deploy", "mongodb", "kube-state-metrics-values.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	var c ksmConfig
	if err := yaml.UnmarshalStrict(data, &c); err != nil {
		tb.Fatalf("kube-state-metrics-values.yaml: %v", err)
	}
	return c
}

// crdSchemas returns the storage version's schema of every kind in the operator's CRD file.
func crdSchemas(tb testing.TB) map[string]*apiextensionsv1.JSONSchemaProps {
	tb.Helper()
	path, err := OperatorCRDPath(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]*apiextensionsv1.JSONSchemaProps{}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.Unmarshal(doc, &crd); err != nil || crd.Kind != "CustomResourceDefinition" {
			continue
		}
		for _, v := range crd.Spec.Versions {
			if v.Storage && v.Schema != nil {
				out[crd.Spec.Group+"/"+v.Name+"/"+crd.Spec.Names.Kind] = v.Schema.OpenAPIV3Schema
			}
		}
	}
	return out
}

// schemaHas reports whether path leads to a field of s. metadata is the standard ObjectMeta,
// which CRD schemas leave open: only the fields the checks use are accepted there.
func schemaHas(s *apiextensionsv1.JSONSchemaProps, path []string) bool {
	if len(path) == 2 && path[0] == "metadata" {
		return slices.Contains([]string{"name", "namespace", "creationTimestamp"}, path[1])
	}
	for _, p := range path {
		if s == nil {
			return false
		}
		next, ok := s.Properties[p]
		if !ok {
			return false
		}
		s = &next
	}
	return true
}

// The kube-state-metrics configuration reads fields that exist in the operator's CRDs, is
// allowed to list them, and defines every kube_psmdb_* series the alerts and the dashboard use.
func TestKubeStateMetricsConfigMatchesCRDsAndRules(t *testing.T) {
	c := loadKSMConfig(t)
	if !c.KSM.CustomResourceState.Enabled || c.KSM.CustomResourceState.Config.Kind != "CustomResourceStateMetrics" {
		t.Fatal("customResourceState is not enabled with a CustomResourceStateMetrics config")
	}
	schemas := crdSchemas(t)
	backupStates := operatorBackupStates(t)
	defined := map[string]bool{}
	for _, r := range c.KSM.CustomResourceState.Config.Spec.Resources {
		gvk := r.GVK.Group + "/" + r.GVK.Version + "/" + r.GVK.Kind
		s, ok := schemas[gvk]
		if !ok {
			t.Errorf("%s: not a kind of the operator's CRDs", gvk)
			continue
		}
		plural := strings.ToLower(r.GVK.Kind) + "s"
		listable := false
		for _, rule := range c.KSM.RBAC.ExtraRules {
			if slices.Contains(rule.APIGroups, r.GVK.Group) && slices.Contains(rule.Resources, plural) &&
				slices.Contains(rule.Verbs, "list") && slices.Contains(rule.Verbs, "watch") {
				listable = true
			}
		}
		if !listable {
			t.Errorf("%s: rbac.extraRules do not let kube-state-metrics list and watch %s", gvk, plural)
		}
		for label, p := range r.LabelsFromPath {
			if !schemaHas(s, p) {
				t.Errorf("%s label %s: path %v is not in the CRD", gvk, label, p)
			}
		}
		for _, m := range r.Metrics {
			defined[r.Prefix+"_"+m.Name] = true
			switch {
			case m.Each.Gauge != nil:
				g := m.Each.Gauge
				if !schemaHas(s, append(slices.Clone(g.Path), g.ValueFrom...)) {
					t.Errorf("%s %s: value %v%v is not in the CRD", gvk, m.Name, g.Path, g.ValueFrom)
				}
				for label, p := range g.LabelsFromPath {
					if !schemaHas(s, append(slices.Clone(g.Path), p...)) {
						t.Errorf("%s %s label %s: %v%v is not in the CRD", gvk, m.Name, label, g.Path, p)
					}
				}
			case m.Each.StateSet != nil:
				ss := m.Each.StateSet
				if !schemaHas(s, ss.Path) {
					t.Errorf("%s %s: path %v is not in the CRD", gvk, m.Name, ss.Path)
				}
				if r.GVK.Kind == "PerconaServerMongoDBBackup" {
					for _, st := range ss.List {
						if !backupStates[st] {
							t.Errorf("%s %s: state %q is not a BackupState of the operator (%v)", gvk, m.Name, st, backupStates)
						}
					}
					if !slices.Contains(ss.List, "error") || !slices.Contains(ss.List, "ready") {
						t.Errorf("%s %s: list %v lacks error or ready", gvk, m.Name, ss.List)
					}
				}
			default:
				t.Errorf("%s %s: neither Gauge nor StateSet", gvk, m.Name)
			}
		}
	}

	// Every kube_psmdb_* series read by the rules and the dashboard is one defined above.
	_, objs := renderCluster(t, nil)
	text, err := json.Marshal(objectsOfKind(objs, "PrometheusRule"))
	if err != nil {
		t.Fatal(err)
	}
	dash, err := os.ReadFile(filepath.Join(clusterChartDir(t), "dashboards", "mongodb.json"))
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, m := range regexp.MustCompile(`kube_psmdb_[a-z_]+`).FindAll(append(text, dash...), -1) {
		used[string(m)] = true
	}
	if len(used) == 0 {
		t.Fatal("the rules read no kube_psmdb_* series")
	}
	var missing []string
	for name := range used {
		if !defined[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("series used but not defined by kube-state-metrics-values.yaml: %v (defined: %v)", missing, defined)
	}
}

// operatorBackupStates reads the BackupState constants of the pinned operator.
func operatorBackupStates(tb testing.TB) map[string]bool {
	tb.Helper()
	crd, err := OperatorCRDPath(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(filepath.Dir(filepath.Dir(crd)), "pkg", "apis", "psmdb", "v1", "perconaservermongodbbackup_types.go"))
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]bool{}
	for _, m := range regexp.MustCompile(`BackupState\w+\s+BackupState = "([a-z]+)"`).FindAllSubmatch(src, -1) {
		out[string(m[1])] = true
	}
	if len(out) < 3 {
		tb.Fatalf("found only %v BackupStates in the operator source", out)
	}
	return out
}

// The dashboard is valid JSON with a unique uid and every panel has a query.
func TestMongoDBDashboard(t *testing.T) {
	_, objs := renderCluster(t, nil)
	cms := objectsOfKind(objs, "ConfigMap")
	if len(cms) != 1 {
		t.Fatalf("rendered %d ConfigMaps, want the dashboard", len(cms))
	}
	var cm corev1.ConfigMap
	convert(t, cms[0], &cm)
	if cm.Labels["grafana_dashboard"] != "1" {
		t.Errorf("dashboard labels %v lack grafana_dashboard=1 (the Grafana sidecar's selector)", cm.Labels)
	}
	var d struct {
		UID    string `json:"uid"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal([]byte(cm.Data["mongodb.json"]), &d); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	if d.UID == "" || d.UID == "orders" {
		t.Errorf("dashboard uid %q: want its own, not the service dashboard's", d.UID)
	}
	for _, p := range d.Panels {
		if len(p.Targets) == 0 || strings.TrimSpace(p.Targets[0].Expr) == "" {
			t.Errorf("panel %q has no query", p.Title)
		}
	}
}
