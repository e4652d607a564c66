package mongodb

import (
	"context"
	"strings"
	"testing"
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

// The validator must refuse what the API server refuses, or the chart tests prove nothing.
func TestValidatorRefusesWhatTheAPIServerRefuses(t *testing.T) {
	tests := []struct {
		name    string
		kind    string
		edit    func(string) string
		wantErr string // "" means valid
	}{
		{"valid cluster", "PerconaServerMongoDB", func(s string) string { return s }, ""},
		{"unknown field", "PerconaServerMongoDB", func(s string) string {
			return strings.Replace(s, "      size: 3\n", "      size: 3\n      sizee: 3\n", 1)
		}, "spec.replsets[0].sizee"},
		{"wrong type", "PerconaServerMongoDB", func(s string) string {
			return strings.Replace(s, "size: 3", "size: three", 1)
		}, "spec.replsets[0].size"},
		{"missing required", "PerconaServerMongoDB", func(s string) string {
			return strings.Replace(s, "  image: percona/percona-server-mongodb:8.0.12-4\n", "", 1)
		}, "spec.image"},
		{"wrong kind", "PerconaServerMongoDB", func(s string) string {
			return strings.Replace(s, "kind: PerconaServerMongoDB", "kind: PerconaServerMongoDBBackup", 1)
		}, "kind"},
		{"valid PITR restore", "PerconaServerMongoDBRestore", func(string) string {
			return restoreWithDate("2026-11-25 14:30:00")
		}, ""},
		{"CEL rule: PITR date format", "PerconaServerMongoDBRestore", func(string) string {
			return restoreWithDate("2026-11-25T14:30:00Z")
		}, "YYYY-MM-DD HH:MM:SS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj, err := DecodeObject([]byte(tt.edit(validCluster)))
			if err != nil {
				t.Fatal(err)
			}
			errs := crds(t)[tt.kind].Validate(context.Background(), obj)
			switch {
			case tt.wantErr == "" && len(errs) > 0:
				t.Errorf("Validate = %v, want no errors", errs)
			case tt.wantErr != "" && len(errs) == 0:
				t.Errorf("Validate = no errors, want an error about %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(errs.ToAggregate().Error(), tt.wantErr):
				t.Errorf("Validate = %v, want an error about %q", errs, tt.wantErr)
			}
		})
	}
}

func restoreWithDate(date string) string {
	return `
apiVersion: psmdb.percona.com/v1
kind: PerconaServerMongoDBRestore
metadata:
  name: r
spec:
  clusterName: orders-mongodb
  backupName: b
  pitr:
    type: date
    date: "` + date + `"
`
}

func TestValidatorDoesNotModifyObject(t *testing.T) {
	obj, err := DecodeObject([]byte(strings.Replace(validCluster, "      size: 3\n", "      size: 3\n      sizee: 3\n", 1)))
	if err != nil {
		t.Fatal(err)
	}
	crds(t)["PerconaServerMongoDB"].Validate(context.Background(), obj)
	rs := obj["spec"].(map[string]any)["replsets"].([]any)[0].(map[string]any)
	if _, ok := rs["sizee"]; !ok {
		t.Error("Validate pruned the caller's object")
	}
}

func TestOperatorDownloadIsHashChecked(t *testing.T) {
	// Same module and version (in the cache after the other tests), wrong expected hash.
	_, err := downloadModule(context.Background(), OperatorModule, OperatorVersion, "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	if err == nil || !strings.Contains(err.Error(), "has hash "+OperatorSum) {
		t.Errorf("downloadModule with a wrong hash = %v, want a hash mismatch naming %s", err, OperatorSum)
	}
}
