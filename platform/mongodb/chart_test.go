package mongodb

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// cluster is the part of a PerconaServerMongoDB the tests read.
type cluster struct {
	Metadata metav1.ObjectMeta `json:"metadata"`
	Spec     struct {
		CRVersion   string `json:"crVersion"`
		UnsafeFlags any    `json:"unsafeFlags"`
		TLS         struct {
			Mode string `json:"mode"`
		} `json:"tls"`
		PMM struct {
			Enabled bool `json:"enabled"`
		} `json:"pmm"`
		Sharding struct {
			Enabled bool `json:"enabled"`
		} `json:"sharding"`
		UpgradeOptions struct {
			Apply string `json:"apply"`
		} `json:"upgradeOptions"`
		Replsets []struct {
			Name               string `json:"name"`
			Size               int    `json:"size"`
			ServiceAccountName string `json:"serviceAccountName"`
			Affinity           struct {
				AntiAffinityTopologyKey string `json:"antiAffinityTopologyKey"`
			} `json:"affinity"`
			TopologySpreadConstraints []corev1.TopologySpreadConstraint `json:"topologySpreadConstraints"`
			PodDisruptionBudget       struct {
				MaxUnavailable *intstr.IntOrString `json:"maxUnavailable"`
				MinAvailable   *intstr.IntOrString `json:"minAvailable"`
			} `json:"podDisruptionBudget"`
			Arbiter *struct {
				Enabled bool `json:"enabled"`
			} `json:"arbiter"`
			Resources  corev1.ResourceRequirements `json:"resources"`
			VolumeSpec struct {
				PersistentVolumeClaim corev1.PersistentVolumeClaimSpec `json:"persistentVolumeClaim"`
			} `json:"volumeSpec"`
		} `json:"replsets"`
		Users []struct {
			Name              string `json:"name"`
			DB                string `json:"db"`
			PasswordSecretRef any    `json:"passwordSecretRef"`
			Roles             []role `json:"roles"`
		} `json:"users"`
		Backup struct {
			Enabled  bool `json:"enabled"`
			Storages map[string]struct {
				Main bool   `json:"main"`
				Type string `json:"type"`
				S3   struct {
					Bucket            string `json:"bucket"`
					Region            string `json:"region"`
					Prefix            string `json:"prefix"`
					CredentialsSecret string `json:"credentialsSecret"`
				} `json:"s3"`
			} `json:"storages"`
			PITR struct {
				Enabled      bool `json:"enabled"`
				OplogSpanMin int  `json:"oplogSpanMin"`
			} `json:"pitr"`
			Tasks []struct {
				Name        string `json:"name"`
				Enabled     bool   `json:"enabled"`
				Schedule    string `json:"schedule"`
				Type        string `json:"type"`
				StorageName string `json:"storageName"`
				Retention   struct {
					Type              string `json:"type"`
					Count             int    `json:"count"`
					DeleteFromStorage bool   `json:"deleteFromStorage"`
				} `json:"retention"`
			} `json:"tasks"`
		} `json:"backup"`
	} `json:"spec"`
}

type role struct {
	Name string `json:"name"`
	DB   string `json:"db"`
}

// renderCluster renders the chart with the required values plus extra, validates every
// PerconaServerMongoDB against the operator's CRD and returns the only one.
func renderCluster(tb testing.TB, extra map[string]any) (cluster, []map[string]any) {
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
	var c cluster
	view(tb, crs[0], &c)
	return c, objs
}

func TestClusterObjectNamesMatchContract(t *testing.T) {
	c, objs := renderCluster(t, nil)
	if c.Metadata.Name != "orders-mongodb" || c.Metadata.Namespace != "mongodb" {
		t.Errorf("PerconaServerMongoDB = %s/%s, want mongodb/orders-mongodb", c.Metadata.Namespace, c.Metadata.Name)
	}
	if c.Spec.CRVersion != strings.TrimPrefix(OperatorVersion, "v") {
		t.Errorf("crVersion = %q, want the operator release %s", c.Spec.CRVersion, OperatorVersion)
	}
	var kinds []string
	for _, o := range objs {
		kinds = append(kinds, o["kind"].(string))
	}
	if diff := cmp.Diff([]string{"NetworkPolicy", "ServiceAccount", "ConfigMap", "StorageClass", "PerconaServerMongoDB", "PodMonitor", "PrometheusRule"}, kinds); diff != "" {
		t.Errorf("rendered kinds (-want +got):\n%s", diff)
	}
}

func TestReplicaSetThreeMembersInThreeZones(t *testing.T) {
	c, _ := renderCluster(t, nil)
	if len(c.Spec.Replsets) != 1 {
		t.Fatalf("replsets = %d, want 1", len(c.Spec.Replsets))
	}
	rs := c.Spec.Replsets[0]
	if rs.Name != "rs0" || rs.Size != 3 {
		t.Errorf("replset = %s size %d, want rs0 size 3", rs.Name, rs.Size)
	}
	if rs.Arbiter != nil && rs.Arbiter.Enabled {
		t.Error("arbiter enabled, want three data-bearing members")
	}
	if c.Spec.Sharding.Enabled {
		t.Error("sharding enabled, want a plain replica set")
	}
	if rs.Affinity.AntiAffinityTopologyKey != "kubernetes.io/hostname" {
		t.Errorf("antiAffinityTopologyKey = %q, want kubernetes.io/hostname", rs.Affinity.AntiAffinityTopologyKey)
	}
	three := int32(3)
	want := []corev1.TopologySpreadConstraint{{
		MaxSkew:           1,
		TopologyKey:       "topology.kubernetes.io/zone",
		WhenUnsatisfiable: corev1.DoNotSchedule,
		MinDomains:        &three,
	}}
	if diff := cmp.Diff(want, rs.TopologySpreadConstraints); diff != "" {
		t.Errorf("topologySpreadConstraints (-want +got):\n%s", diff)
	}
}

func TestReplicaSetDisruptionBudgetAndResources(t *testing.T) {
	c, _ := renderCluster(t, nil)
	rs := c.Spec.Replsets[0]
	if got := rs.PodDisruptionBudget.MaxUnavailable; got == nil || got.IntValue() != 1 {
		t.Errorf("podDisruptionBudget.maxUnavailable = %v, want 1", got)
	}
	if rs.PodDisruptionBudget.MinAvailable != nil {
		t.Errorf("podDisruptionBudget.minAvailable = %v, want unset", rs.PodDisruptionBudget.MinAvailable)
	}
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if q, ok := rs.Resources.Requests[name]; !ok || q.IsZero() {
			t.Errorf("resources.requests.%s unset", name)
		}
	}
	reqMem, limMem := rs.Resources.Requests[corev1.ResourceMemory], rs.Resources.Limits[corev1.ResourceMemory]
	if limMem.Cmp(reqMem) != 0 {
		t.Errorf("memory limit %s != request %s; the WiredTiger cache is sized from the limit", limMem.String(), reqMem.String())
	}
}

func TestReplicaSetVolumesOnGP3(t *testing.T) {
	c, objs := renderCluster(t, nil)
	pvc := c.Spec.Replsets[0].VolumeSpec.PersistentVolumeClaim
	if pvc.StorageClassName == nil || *pvc.StorageClassName != "gp3-retain" {
		t.Errorf("storageClassName = %v, want gp3-retain (the chart's gp3 class)", pvc.StorageClassName)
	}
	if got, want := pvc.Resources.Requests[corev1.ResourceStorage], resource.MustParse("20Gi"); got.Cmp(want) != 0 {
		t.Errorf("storage request = %s, want %s", got.String(), want.String())
	}
	scs := objectsOfKind(objs, "StorageClass")
	if len(scs) != 1 {
		t.Fatalf("rendered %d StorageClasses, want 1", len(scs))
	}
	var sc storagev1.StorageClass
	convert(t, scs[0], &sc)
	if sc.Name != *pvc.StorageClassName || sc.Provisioner != "ebs.csi.aws.com" {
		t.Errorf("StorageClass = %s (%s), want %s (ebs.csi.aws.com)", sc.Name, sc.Provisioner, *pvc.StorageClassName)
	}
	if sc.ReclaimPolicy == nil || *sc.ReclaimPolicy != corev1.PersistentVolumeReclaimRetain {
		t.Errorf("reclaimPolicy = %v, want Retain (database volumes outlive their PVC)", sc.ReclaimPolicy)
	}
	if diff := cmp.Diff(map[string]string{"type": "gp3", "encrypted": "true", "csi.storage.k8s.io/fstype": "xfs"}, sc.Parameters); diff != "" {
		t.Errorf("StorageClass parameters (-want +got):\n%s", diff)
	}
	if sc.VolumeBindingMode == nil || *sc.VolumeBindingMode != storagev1.VolumeBindingWaitForFirstConsumer {
		t.Errorf("volumeBindingMode = %v, want WaitForFirstConsumer (zonal EBS follows the pod's zone)", sc.VolumeBindingMode)
	}
	if sc.AllowVolumeExpansion == nil || !*sc.AllowVolumeExpansion {
		t.Error("allowVolumeExpansion is not true")
	}

	// The cluster's existing gp3 class: none rendered, the PVCs use that one.
	c, objs = renderCluster(t, map[string]any{"createStorageClass": false, "storageClassName": "gp3"})
	if n := len(objectsOfKind(objs, "StorageClass")); n != 0 {
		t.Errorf("createStorageClass=false rendered %d StorageClasses, want 0", n)
	}
	if got := c.Spec.Replsets[0].VolumeSpec.PersistentVolumeClaim.StorageClassName; got == nil || *got != "gp3" {
		t.Errorf("storageClassName = %v, want gp3", got)
	}
}

func TestAuthOnAndAppUserLimitedToOrdersDatabase(t *testing.T) {
	c, _ := renderCluster(t, nil)
	if c.Spec.UnsafeFlags != nil {
		t.Errorf("unsafeFlags = %v, want unset", c.Spec.UnsafeFlags)
	}
	if c.Spec.TLS.Mode == "disabled" {
		t.Error("tls.mode is disabled")
	}
	if len(c.Spec.Users) != 1 {
		t.Fatalf("users = %d, want 1", len(c.Spec.Users))
	}
	u := c.Spec.Users[0]
	if u.Name != "orders" || u.DB != "admin" {
		t.Errorf("user = %s@%s, want orders@admin (authSource=admin)", u.Name, u.DB)
	}
	if u.PasswordSecretRef != nil {
		t.Errorf("passwordSecretRef = %v, want unset so the operator generates the password", u.PasswordSecretRef)
	}
	if diff := cmp.Diff([]role{{Name: "readWrite", DB: "orders"}}, u.Roles); diff != "" {
		t.Errorf("roles (-want +got):\n%s", diff)
	}
}

func TestBackupsToS3WithPITRAndDailySchedule(t *testing.T) {
	c, objs := renderCluster(t, nil)
	b := c.Spec.Backup
	if !b.Enabled {
		t.Fatal("backup.enabled is false")
	}
	if len(b.Storages) != 1 { // PITR needs exactly one storage
		t.Fatalf("backup storages = %d, want 1", len(b.Storages))
	}
	for name, s := range b.Storages {
		if s.Type != "s3" || !s.Main {
			t.Errorf("storage %s: type %q main %v, want s3 main", name, s.Type, s.Main)
		}
		if s.S3.Bucket != "orderstack-dev-mongodb-backups" || s.S3.Region != "eu-west-1" || s.S3.Prefix != "orders-mongodb" {
			t.Errorf("storage %s: s3 = %+v, want the bucket and region values, prefix orders-mongodb", name, s.S3)
		}
		if s.S3.CredentialsSecret != "" {
			t.Errorf("storage %s: credentialsSecret %q, want none (EKS Pod Identity)", name, s.S3.CredentialsSecret)
		}
	}
	if !b.PITR.Enabled || b.PITR.OplogSpanMin != 10 {
		t.Errorf("pitr = %+v, want enabled with 10 minute oplog chunks", b.PITR)
	}
	if len(b.Tasks) != 1 {
		t.Fatalf("backup tasks = %d, want 1", len(b.Tasks))
	}
	task := b.Tasks[0]
	if !task.Enabled || task.Schedule != "0 3 * * *" || task.Type != "logical" {
		t.Errorf("task = %+v, want an enabled daily logical backup at 03:00", task)
	}
	if _, ok := b.Storages[task.StorageName]; !ok {
		t.Errorf("task storageName %q is not a configured storage", task.StorageName)
	}
	if task.Retention.Type != "count" || task.Retention.Count != 7 || !task.Retention.DeleteFromStorage {
		t.Errorf("retention = %+v, want keep 7, delete from storage", task.Retention)
	}

	// The backup agent is a sidecar of the members: their service account is the one EKS
	// Pod Identity maps to the backup role, and the chart creates it.
	sa := c.Spec.Replsets[0].ServiceAccountName
	if sa != "orders-mongodb" {
		t.Errorf("replset serviceAccountName = %q, want orders-mongodb (the name Terraform associates)", sa)
	}
	sas := objectsOfKind(objs, "ServiceAccount")
	if len(sas) != 1 {
		t.Fatalf("rendered %d ServiceAccounts, want 1", len(sas))
	}
	var got corev1.ServiceAccount
	convert(t, sas[0], &got)
	if got.Name != sa || got.Namespace != "mongodb" {
		t.Errorf("ServiceAccount = %s/%s, want mongodb/%s", got.Namespace, got.Name, sa)
	}

	// Retention and schedule follow the values.
	c, _ = renderCluster(t, map[string]any{"backupRetentionCount": 14, "backupSchedule": "30 1 * * *", "pitrEnabled": false})
	if task := c.Spec.Backup.Tasks[0]; task.Retention.Count != 14 || task.Schedule != "30 1 * * *" {
		t.Errorf("task = %+v, want keep 14 at 01:30", task)
	}
	if c.Spec.Backup.PITR.Enabled {
		t.Error("pitrEnabled=false left PITR on")
	}
}

func TestMonitoringOffAndVersionsPinned(t *testing.T) {
	c, objs := renderCluster(t, nil)
	if c.Spec.PMM.Enabled {
		t.Error("pmm.enabled is true, want the PMM client off")
	}
	if c.Spec.UpgradeOptions.Apply != "disabled" {
		t.Errorf("upgradeOptions.apply = %q, want disabled (versions change through the chart)", c.Spec.UpgradeOptions.Apply)
	}
	if n := len(objectsOfKind(objs, "Secret")); n != 0 {
		t.Errorf("rendered %d Secrets, want 0: every credential is generated in the cluster", n)
	}
}

func TestFiveMembersStayValid(t *testing.T) {
	c, _ := renderCluster(t, map[string]any{"replicas": 5})
	if got := c.Spec.Replsets[0].Size; got != 5 {
		t.Errorf("size = %d, want 5", got)
	}
}

func TestClusterChartRejectsBadValues(t *testing.T) {
	tests := []struct {
		name    string
		values  map[string]any
		wantErr string
	}{
		{"no bucket", map[string]any{"backupRegion": "eu-west-1"}, "backupBucket"},
		{"no region", map[string]any{"backupBucket": "orderstack-dev-mongodb-backups"}, "backupRegion"},
		{"bucket with upper case", map[string]any{"backupBucket": "Orders_Backups"}, "backupBucket"},
		{"even member count", map[string]any{"replicas": 4}, "replicas"},
		{"single member", map[string]any{"replicas": 1}, "replicas"},
		{"app user on admin", map[string]any{"appDatabase": "admin"}, "appDatabase"},
		{"unknown key", map[string]any{"replicaCount": 3}, "replicaCount"},
		{"other operator release", map[string]any{"crVersion": "1.20.0"}, "crVersion"},
		{"no retention", map[string]any{"backupRetentionCount": 0}, "backupRetentionCount"},
		{"bad storage size", map[string]any{"storageSize": "lots"}, "storageSize"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values := requiredValues()
			if _, ok := tt.values["backupBucket"]; ok || tt.name == "no bucket" {
				delete(values, "backupBucket")
			}
			if _, ok := tt.values["backupRegion"]; ok || tt.name == "no region" {
				delete(values, "backupRegion")
			}
			for k, v := range tt.values {
				values[k] = v
			}
			_, err := render(t, values)
			if err == nil {
				t.Fatalf("render(%v) succeeded, want an error naming %s", tt.values, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("render(%v) = %v, want an error naming %s", tt.values, err, tt.wantErr)
			}
		})
	}
}

func TestNetworkPolicyAdmitsOnlyClientsAndMembers(t *testing.T) {
	_, objs := renderCluster(t, map[string]any{"clientNamespaces": []any{"orders", "jobs"}})
	nps := objectsOfKind(objs, "NetworkPolicy")
	if len(nps) != 1 {
		t.Fatalf("rendered %d NetworkPolicies, want 1", len(nps))
	}
	var np networkingv1.NetworkPolicy
	convert(t, nps[0], &np)
	// The operator labels mongod pods app.kubernetes.io/instance=<cluster>, component=mongod.
	wantSelector := map[string]string{"app.kubernetes.io/instance": "orders-mongodb", "app.kubernetes.io/component": "mongod"}
	if diff := cmp.Diff(wantSelector, np.Spec.PodSelector.MatchLabels); diff != "" {
		t.Errorf("podSelector (-want +got):\n%s", diff)
	}
	// Rule 0: mongod; rule 1 (monitoring on): only Prometheus's namespace, only the exporter port.
	if len(np.Spec.Ingress) != 2 || len(np.Spec.Ingress[0].Ports) != 1 || np.Spec.Ingress[0].Ports[0].Port.IntValue() != 27017 {
		t.Fatalf("ingress = %+v, want a rule on port 27017 and one for the exporter", np.Spec.Ingress)
	}
	if r := np.Spec.Ingress[1]; len(r.Ports) != 1 || r.Ports[0].Port.IntValue() != 9216 || len(r.From) != 1 ||
		r.From[0].NamespaceSelector == nil || r.From[0].PodSelector != nil ||
		!cmp.Equal(r.From[0].NamespaceSelector.MatchLabels, map[string]string{"kubernetes.io/metadata.name": "monitoring"}) {
		t.Errorf("exporter rule = %+v, want port 9216 from namespace monitoring only", r)
	}
	var sameNamespace bool
	var namespaces []string
	for _, peer := range np.Spec.Ingress[0].From {
		switch {
		case peer.NamespaceSelector != nil:
			namespaces = append(namespaces, peer.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"])
		case peer.PodSelector != nil && len(peer.PodSelector.MatchLabels) == 0 && len(peer.PodSelector.MatchExpressions) == 0:
			sameNamespace = true
		default:
			t.Errorf("unexpected peer %+v", peer)
		}
	}
	if !sameNamespace {
		t.Error("members and operator (same namespace) are not admitted")
	}
	if diff := cmp.Diff([]string{"orders", "jobs"}, namespaces); diff != "" {
		t.Errorf("client namespaces (-want +got):\n%s", diff)
	}

	_, objs = renderCluster(t, map[string]any{"networkPolicy": false})
	if n := len(objectsOfKind(objs, "NetworkPolicy")); n != 0 {
		t.Errorf("networkPolicy=false rendered %d NetworkPolicies", n)
	}
}

// TestDeveloperUsers: developers get their own users on the app's database, read-only unless
// asked otherwise, with operator-generated passwords; any other role is refused by the schema.
func TestDeveloperUsers(t *testing.T) {
	c, _ := renderCluster(t, map[string]any{"developerUsers": []any{
		map[string]any{"name": "alice"},
		map[string]any{"name": "bob", "access": "readWrite"},
	}})
	if len(c.Spec.Users) != 3 {
		t.Fatalf("users = %d, want the app's and two developers'", len(c.Spec.Users))
	}
	for i, want := range []struct{ name, role string }{{"alice", "read"}, {"bob", "readWrite"}} {
		u := c.Spec.Users[i+1]
		if u.Name != want.name || u.DB != "admin" || u.PasswordSecretRef != nil {
			t.Errorf("user %d = %s@%s (passwordSecretRef %v), want %s@admin with a generated password", i+1, u.Name, u.DB, u.PasswordSecretRef, want.name)
		}
		if diff := cmp.Diff([]role{{Name: want.role, DB: "orders"}}, u.Roles); diff != "" {
			t.Errorf("%s's roles (-want +got):\n%s", want.name, diff)
		}
	}
	for _, bad := range []map[string]any{
		{"name": "mallory", "access": "root"},
		{"name": "Mallory"},
		{"access": "read"},
	} {
		if _, err := render(t, map[string]any{"backupBucket": "b", "backupRegion": "eu-west-1", "developerUsers": []any{bad}}); err == nil {
			t.Errorf("developerUsers [%v] rendered, want the schema to refuse it", bad)
		}
	}
}

// TestTLSRequired: no plaintext client, a developer's port-forward included.
func TestTLSRequired(t *testing.T) {
	c, _ := renderCluster(t, nil)
	if c.Spec.TLS.Mode != "requireTLS" {
		t.Errorf("tls.mode = %q, want requireTLS", c.Spec.TLS.Mode)
	}
}

// TestBaseBackupAtFirstInstall: point-in-time recovery needs a full backup to start from; the
// chart asks for one at the first install (post-install hook, never on upgrade), to the storage
// and cluster the chart defines, in a shape the Percona CRD accepts.
func TestBaseBackupAtFirstInstall(t *testing.T) {
	c, _ := renderCluster(t, nil)
	hooks, err := DecodeManifests([]byte(renderedHooks[t.Name()]))
	if err != nil {
		t.Fatal(err)
	}
	backups := objectsOfKind(hooks, "PerconaServerMongoDBBackup")
	if len(backups) != 1 {
		t.Fatalf("rendered %d backup hooks, want 1", len(backups))
	}
	b := backups[0]
	mustValidate(t, b)
	var got struct {
		Metadata struct {
			Name        string            `json:"name"`
			Namespace   string            `json:"namespace"`
			Annotations map[string]string `json:"annotations"`
			Finalizers  []string          `json:"finalizers"`
		} `json:"metadata"`
		Spec struct {
			ClusterName string `json:"clusterName"`
			StorageName string `json:"storageName"`
			Type        string `json:"type"`
		} `json:"spec"`
	}
	view(t, b, &got)
	if hook := got.Metadata.Annotations["helm.sh/hook"]; hook != "post-install" {
		t.Errorf("helm.sh/hook = %q, want post-install (once, not on upgrades)", hook)
	}
	if got.Spec.ClusterName != c.Metadata.Name || got.Metadata.Namespace != c.Metadata.Namespace {
		t.Errorf("backup of %s in %s, want %s in %s", got.Spec.ClusterName, got.Metadata.Namespace, c.Metadata.Name, c.Metadata.Namespace)
	}
	if _, ok := c.Spec.Backup.Storages[got.Spec.StorageName]; !ok {
		t.Errorf("storageName %q is not a storage of the cluster", got.Spec.StorageName)
	}
	if got.Spec.Type != "logical" || len(got.Metadata.Finalizers) != 0 {
		t.Errorf("type %q finalizers %v, want a logical backup without finalizers", got.Spec.Type, got.Metadata.Finalizers)
	}

	renderCluster(t, map[string]any{"baseBackup": false})
	if strings.Contains(renderedHooks[t.Name()], "PerconaServerMongoDBBackup") {
		t.Error("baseBackup=false still renders the base backup")
	}
}
