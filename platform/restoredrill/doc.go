// Package restoredrill tests scripts/restore-drill.sh in a closed-PATH sandbox with a fake
// kubectl that keeps a replica set's data, snapshots it on backup and copies it back on restore
// (testdata/kubectl.bash). The objects the script creates are checked against the operator's CRDs
// by the e2e suite (platform/e2e, `make e2e`), from `restore-drill.sh --print-manifests`.
package restoredrill
