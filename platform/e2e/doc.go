// Package e2e runs the order service's chart on a real Kubernetes control plane on 127.0.0.1:
// etcd, kube-apiserver, kube-controller-manager and kube-scheduler built from pinned Go modules
// (tools/), with kwok faking the nodes and the pods' lifecycle. The harness (certificates,
// processes, fake nodes) is plain code tested by `make test`; the end-to-end test itself carries
// the build tag `e2e` and runs with `make e2e` (docs/e2e.md).
package e2e
