package mongodb

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orderstack/orderstack/platform/internal/repo"
)

// TestExamplesAreValidAndPointAtTheCluster: every example the docs tell an operator to apply is
// accepted by the API server and points at the real cluster and storage.
func TestExamplesAreValidAndPointAtTheCluster(t *testing.T) {
	c := ofKind(t, renderObjects(t, nil), "PerconaServerMongoDB")
	files, _ := filepath.Glob(filepath.Join(repo.Root(t), "deploy", "mongodb", "examples", "*.yaml"))
	kinds := map[any]int{}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			ex := repo.Must[map[string]any](t)(DecodeObject(repo.Must[[]byte](t)(os.ReadFile(file))))
			mustValidate(t, ex)
			kinds[ex["kind"]]++
			if at(ex, "metadata.namespace") != "mongodb" || at(ex, "spec.clusterName") != at(c, "metadata.name") {
				t.Errorf("targets %v in namespace %v, want %v in mongodb", at(ex, "spec.clusterName"), at(ex, "metadata.namespace"), at(c, "metadata.name"))
			}
			if s, ok := at(ex, "spec.storageName").(string); ok && at(c, "spec.backup.storages."+s) == nil {
				t.Errorf("storageName %q is not a storage of the cluster", s)
			}
			if strings.Contains(filepath.Base(file), "pitr") && at(ex, "spec.pitr.type") != "date" {
				t.Errorf("pitr.type = %v, want date", at(ex, "spec.pitr.type"))
			}
		})
	}
	if kinds["PerconaServerMongoDBBackup"] == 0 || kinds["PerconaServerMongoDBRestore"] < 2 {
		t.Errorf("example kinds = %v, want a backup and restores", kinds)
	}
}
