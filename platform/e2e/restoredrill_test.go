//go:build e2e

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
)

// checkRestoreDrillObjects submits the backup and restore objects scripts/restore-drill.sh creates
// (from `restore-drill.sh --print-manifests`) to the API server with a server-side dry run and
// strict field validation, so the operator's CRDs judge their shape on every change.
func (k *kube) checkRestoreDrillObjects(ctx context.Context, root string) {
	k.t.Helper()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "scripts", "restore-drill.sh"), "--print-manifests")
	cmd.Env = append(os.Environ(), "DRILL_ID=e2e")
	out, err := cmd.Output()
	if err != nil {
		k.t.Fatalf("restore-drill.sh --print-manifests: %v", err)
	}
	objs, err := decodeObjects(out)
	if err != nil {
		k.t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, o := range objs {
		kinds[o.GetKind()] = true
		if err := k.create(ctx, o, "mongodb", true, "Strict"); err != nil {
			k.t.Errorf("server-side dry run refused the restore drill's %v", err)
		}
	}
	if !kinds["PerconaServerMongoDBBackup"] || !kinds["PerconaServerMongoDBRestore"] || len(objs) != 2 {
		k.t.Errorf("restore-drill.sh printed %d objects %v, want one backup and one restore", len(objs), kinds)
	}
	k.t.Logf("restore drill objects accepted by server-side dry run: %v", kinds)
}
