package mongodb

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/orderstack/orderstack/platform/internal/repo"
)

// Every example the docs tell an operator to apply must be accepted by the API server and
// point at the real cluster and storage.
func TestExamplesAreValidAndPointAtTheCluster(t *testing.T) {
	c, _ := renderCluster(t, nil)
	files, err := filepath.Glob(filepath.Join(repo.Root(t), "deploy", "mongodb", "examples", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 3 {
		t.Fatalf("found %d examples, want backup, restore and PITR restore at least", len(files))
	}
	kinds := map[string]int{}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			obj, err := DecodeObject(data)
			if err != nil {
				t.Fatal(err)
			}
			mustValidate(t, obj)
			var ex struct {
				Kind     string            `json:"kind"`
				Metadata metav1.ObjectMeta `json:"metadata"`
				Spec     struct {
					ClusterName string `json:"clusterName"`
					StorageName string `json:"storageName"`
					PITR        *struct {
						Type string `json:"type"`
					} `json:"pitr"`
				} `json:"spec"`
			}
			view(t, obj, &ex)
			kinds[ex.Kind]++
			if ex.Metadata.Namespace != "mongodb" || ex.Spec.ClusterName != at(c, "metadata.name") {
				t.Errorf("targets %s in namespace %q, want %s in mongodb", ex.Spec.ClusterName, ex.Metadata.Namespace, at(c, "metadata.name"))
			}
			if ex.Spec.StorageName != "" && at(c, "spec.backup.storages."+ex.Spec.StorageName) == nil {
				t.Errorf("storageName %q is not a storage of the cluster", ex.Spec.StorageName)
			}
			if ex.Spec.PITR != nil && strings.Contains(filepath.Base(file), "pitr") && ex.Spec.PITR.Type != "date" {
				t.Errorf("pitr.type = %q, want date", ex.Spec.PITR.Type)
			}
		})
	}
	if kinds["PerconaServerMongoDBBackup"] == 0 || kinds["PerconaServerMongoDBRestore"] < 2 {
		t.Errorf("example kinds = %v, want a backup and restores", kinds)
	}
}
