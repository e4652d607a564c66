package mongodb

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// renderCluster renders the chart with the required values plus extra, validates every
// PerconaServerMongoDB against the operator's CRD and returns the only one with every object.
func renderCluster(tb testing.TB, extra map[string]any) (map[string]any, []map[string]any) {
	tb.Helper()
	values := requiredValues()
	for k, v := range extra {
		values[k] = v
	}
	objs := mustRenderObjects(tb, values)
	crs := objectsOfKind(objs, "PerconaServerMongoDB")
	if len(crs) != 1 {
		tb.Fatalf("rendered %d PerconaServerMongoDB objects, want 1", len(crs))
	}
	mustValidate(tb, crs[0])
	return crs[0], objs
}

// at returns the value at a dotted path ("spec.replsets.0.size") of a decoded object, nil if absent.
func at(v any, path string) any {
	for _, step := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[step]
		case []any:
			i, err := strconv.Atoi(step)
			if err != nil || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// TestClusterChart renders the chart with each set of values and compares what the operator and
// Kubernetes will act on with the project's rules: "Kind:path" of a rendered object (hooks
// included) -> the value as YAML ("null": absent). Each PerconaServerMongoDB object is also
// validated against the operator's CRD (schema, unknown fields, CEL), as the API server would.
func TestClusterChart(t *testing.T) {
	const cr = "PerconaServerMongoDB:spec."
	for _, tc := range []struct {
		name   string
		values map[string]any
		want   map[string]string
	}{
		{"defaults", nil, map[string]string{
			// Terraform associates the backup role with this service account in this namespace;
			// scripts/mongodb-secret.sh and the docs expect the cluster's name.
			"PerconaServerMongoDB:metadata.name":      "orders-mongodb",
			"PerconaServerMongoDB:metadata.namespace": "mongodb",
			"ServiceAccount:metadata.name":            "orders-mongodb",
			cr + "crVersion":                          strings.TrimPrefix(OperatorVersion, "v"),
			// Three data-bearing members, one per zone and host, one down at a time.
			cr + "replsets.0.name":                             "rs0",
			cr + "replsets.0.size":                             "3",
			cr + "replsets.0.arbiter":                          "null",
			cr + "sharding.enabled":                            "false",
			cr + "replsets.0.affinity.antiAffinityTopologyKey": "kubernetes.io/hostname",
			cr + "replsets.0.topologySpreadConstraints":        "[{maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule, minDomains: 3}]",
			cr + "replsets.0.podDisruptionBudget":              "{maxUnavailable: 1}",
			cr + "replsets.0.serviceAccountName":               "orders-mongodb",
			// Data on encrypted gp3 that outlives its PVC and follows the pod's zone.
			cr + "replsets.0.volumeSpec.persistentVolumeClaim.storageClassName": "gp3-retain",
			"StorageClass:metadata.name":                                        "gp3-retain",
			"StorageClass:provisioner":                                          "ebs.csi.aws.com",
			"StorageClass:reclaimPolicy":                                        "Retain",
			"StorageClass:parameters":                                           "{type: gp3, encrypted: 'true', csi.storage.k8s.io/fstype: xfs}",
			"StorageClass:volumeBindingMode":                                    "WaitForFirstConsumer",
			"StorageClass:allowVolumeExpansion":                                 "true",
			// Authentication and TLS always on; the app's user may only read and write orders, with
			// a password the operator generates (no Secret is rendered at all).
			cr + "unsafeFlags":          "null",
			cr + "tls.mode":             "requireTLS",
			cr + "users":                "[{name: orders, db: admin, roles: [{name: readWrite, db: orders}]}]",
			"Secret:kind":               "null",
			cr + "pmm.enabled":          "false",
			cr + "upgradeOptions.apply": "disabled",
			// Backups to the bucket Terraform made, with Pod Identity (no credentials), PITR and a
			// daily logical backup kept 7 times; a base backup once at the first install.
			cr + "backup.enabled":                             "true",
			cr + "backup.storages":                            "{s3: {type: s3, main: true, s3: {bucket: orderstack-dev-mongodb-backups, region: eu-west-1, prefix: orders-mongodb}}}",
			cr + "backup.pitr.enabled":                        "true",
			cr + "backup.pitr.oplogSpanMin":                   "10",
			cr + "backup.tasks":                               "[{name: daily, enabled: true, schedule: '0 3 * * *', type: logical, storageName: s3, compressionType: gzip, retention: {type: count, count: 7, deleteFromStorage: true}}]",
			"PerconaServerMongoDBBackup:metadata.namespace":   "mongodb",
			"PerconaServerMongoDBBackup:metadata.annotations": "{helm.sh/hook: post-install}",
			"PerconaServerMongoDBBackup:metadata.finalizers":  "null",
			"PerconaServerMongoDBBackup:spec":                 "{clusterName: orders-mongodb, storageName: s3, type: logical, compressionType: gzip}",
		}},
		{"values", map[string]any{
			"backupRetentionCount": 14, "backupSchedule": "30 1 * * *", "pitrEnabled": false, "replicas": 5,
			"createStorageClass": false, "storageClassName": "gp3", "baseBackup": false, "networkPolicy": false,
		}, map[string]string{
			cr + "backup.tasks.0.schedule":                                      "30 1 * * *",
			cr + "backup.tasks.0.retention.count":                               "14",
			cr + "backup.pitr.enabled":                                          "false",
			cr + "replsets.0.size":                                              "5",
			cr + "replsets.0.volumeSpec.persistentVolumeClaim.storageClassName": "gp3",
			"StorageClass:kind":                                                 "null",
			"PerconaServerMongoDBBackup:kind":                                   "null",
			"NetworkPolicy:kind":                                                "null",
		}},
		{"developers", map[string]any{"developerUsers": []any{
			map[string]any{"name": "alice"}, map[string]any{"name": "bob", "access": "readWrite"},
		}}, map[string]string{
			cr + "users": "[{name: orders, db: admin, roles: [{name: readWrite, db: orders}]}, {name: alice, db: admin, roles: [{name: read, db: orders}]}, {name: bob, db: admin, roles: [{name: readWrite, db: orders}]}]",
		}},
		// Monitoring off: no exporter sidecar, scrape, rules, dashboard or exporter ingress rule.
		{"monitoring off", map[string]any{"monitoring": map[string]any{"enabled": false}}, map[string]string{
			cr + "replsets.0.sidecars":           "null",
			"PodMonitor:kind":                    "null",
			"PrometheusRule:kind":                "null",
			"ConfigMap:kind":                     "null",
			"NetworkPolicy:spec.ingress.1":       "null",
			"NetworkPolicy:spec.ingress.0.ports": "[{port: 27017, protocol: TCP}]",
		}},
		// Only the clients' namespaces and the members' own reach mongod; only Prometheus's
		// namespace reaches the exporter. The operator labels mongod pods with these labels.
		{"network policy", map[string]any{"clientNamespaces": []any{"orders", "jobs"}}, map[string]string{
			"NetworkPolicy:spec.podSelector": "{matchLabels: {app.kubernetes.io/instance: orders-mongodb, app.kubernetes.io/component: mongod}}",
			"NetworkPolicy:spec.ingress": `[
  {ports: [{port: 27017, protocol: TCP}], from: [{podSelector: {}},
    {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: orders}}},
    {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: jobs}}}]},
  {ports: [{port: 9216, protocol: TCP}], from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]}]`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, objs := renderCluster(t, tc.values)
			objs = append(objs, renderedHookObjects(t)...)
			for _, o := range objs {
				if k, _ := o["kind"].(string); strings.HasPrefix(k, "PerconaServerMongoDB") {
					mustValidate(t, o)
				}
			}
			for key, wantYAML := range tc.want {
				kind, path, _ := strings.Cut(key, ":")
				var got, want any
				if of := objectsOfKind(objs, kind); len(of) > 0 {
					got = at(of[0], path)
				}
				b, _ := yaml.Marshal(got) // int64 and float64 alike, as in want
				if err := yaml.Unmarshal(b, &got); err != nil {
					t.Fatal(err)
				}
				if err := yaml.Unmarshal([]byte(wantYAML), &want); err != nil {
					t.Fatalf("%s: %v", key, err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s (-want +got):\n%s", key, diff)
				}
			}
		})
	}
}

// The WiredTiger cache is sized from the memory limit: request and limit must be equal.
func TestMemoryRequestIsTheLimit(t *testing.T) {
	crObj, _ := renderCluster(t, nil)
	res := at(crObj, "spec.replsets.0.resources")
	if lim, req := at(res, "limits.memory"), at(res, "requests.memory"); lim == nil || lim != req || at(res, "requests.cpu") == nil {
		t.Errorf("resources = %v, want CPU and memory requests, memory limit = request", res)
	}
}

func TestClusterChartRejectsBadValues(t *testing.T) {
	for _, tt := range []struct {
		name    string
		values  map[string]any
		wantErr string
	}{
		{"no bucket", map[string]any{"backupBucket": nil}, "backupBucket"},
		{"no region", map[string]any{"backupRegion": nil}, "backupRegion"},
		{"bucket with upper case", map[string]any{"backupBucket": "Orders_Backups"}, "backupBucket"},
		{"even member count", map[string]any{"replicas": 4}, "replicas"},
		{"single member", map[string]any{"replicas": 1}, "replicas"},
		{"app user on admin", map[string]any{"appDatabase": "admin"}, "appDatabase"},
		{"unknown key", map[string]any{"replicaCount": 3}, "replicaCount"},
		{"other operator release", map[string]any{"crVersion": "1.20.0"}, "crVersion"},
		{"no retention", map[string]any{"backupRetentionCount": 0}, "backupRetentionCount"},
		{"bad storage size", map[string]any{"storageSize": "lots"}, "storageSize"},
		{"developer with root", map[string]any{"developerUsers": []any{map[string]any{"name": "mallory", "access": "root"}}}, "developerUsers"},
		{"developer name with capitals", map[string]any{"developerUsers": []any{map[string]any{"name": "Mallory"}}}, "developerUsers"},
		{"developer without name", map[string]any{"developerUsers": []any{map[string]any{"access": "read"}}}, "developerUsers"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			values := requiredValues()
			for k, v := range tt.values {
				if v == nil {
					delete(values, k)
				} else {
					values[k] = v
				}
			}
			if _, err := render(t, values); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("render(%v) = %v, want an error naming %s", tt.values, err, tt.wantErr)
			}
		})
	}
}
