package mongodb

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/orderstack/orderstack/platform/internal/repo"
)

const validCluster = `
apiVersion: psmdb.percona.com/v1
kind: PerconaServerMongoDB
metadata:
  name: t
spec:
  crVersion: 1.21.1
  image: percona/percona-server-mongodb:8.0.12-4
  replsets:
    - name: rs0
      size: 3
      volumeSpec:
        persistentVolumeClaim:
          resources:
            requests:
              storage: 1Gi
`

// TestValidatorRefusesWhatTheAPIServerRefuses: the validator must refuse what the API server
// refuses, or the chart tests prove nothing; and it leaves the caller's object as it was.
func TestValidatorRefusesWhatTheAPIServerRefuses(t *testing.T) {
	pitrRestore := string(repoFile(t, "deploy/mongodb/examples/restore-pitr.yaml"))
	for _, tt := range []struct {
		name, doc, old, new string
		wantErr             string // "" means valid
	}{
		{"valid cluster", validCluster, "", "", ""},
		{"unknown field", validCluster, "      size: 3\n", "      size: 3\n      sizee: 3\n", "spec.replsets[0].sizee"},
		{"wrong type", validCluster, "size: 3", "size: three", "spec.replsets[0].size"},
		{"missing required", validCluster, "  image: percona/percona-server-mongodb:8.0.12-4\n", "", "spec.image"},
		{"wrong kind", validCluster, "kind: PerconaServerMongoDB", "kind: PerconaServerMongoDBBackup", "kind"},
		{"valid PITR restore", pitrRestore, "", "", ""},
		{"CEL rule: PITR date format", pitrRestore, "2026-11-25 14:29:00", "2026-11-25T14:29:00Z", "YYYY-MM-DD HH:MM:SS"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			obj := repo.Must[map[string]any](t)(DecodeObject([]byte(strings.Replace(tt.doc, tt.old, tt.new, 1))))
			kind := "PerconaServerMongoDB"
			if tt.doc == pitrRestore {
				kind = "PerconaServerMongoDBRestore"
			}
			before := runtime.DeepCopyJSON(obj)
			errs := crds(t)[kind].Validate(context.Background(), obj)
			if got := errs.ToAggregate(); (tt.wantErr == "") != (got == nil) || (got != nil && !strings.Contains(got.Error(), tt.wantErr)) {
				t.Errorf("Validate = %v, want an error about %q (none if empty)", got, tt.wantErr)
			}
			if !reflect.DeepEqual(before, obj) {
				t.Error("Validate changed the caller's object (pruned it?)")
			}
		})
	}
}

func TestOperatorDownloadIsHashChecked(t *testing.T) {
	// Same module and version (in the cache after the other tests), wrong expected hash.
	_, err := downloadModule(context.Background(), OperatorModule, OperatorVersion, "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	if err == nil || !strings.Contains(err.Error(), "has hash "+OperatorSum) {
		t.Errorf("downloadModule with a wrong hash = %v, want a hash mismatch naming %s", err, OperatorSum)
	}
}
