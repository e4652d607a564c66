# End-to-end on a real Kubernetes control plane (docs/e2e.md).
# The control plane is built from the pinned wrapper modules under tools/ (GOWORK=off) into the
# tool cache (TOOL_CACHE, Makefile), once per version and wrapper-module hash (tool_dir).

K8S_VERSION := $(call mod_version,k8s,k8s.io/kubernetes)
K8S_BIN  := $(call tool_dir,kubernetes,k8s,k8s.io/kubernetes)
ETCD_BIN := $(call tool_dir,etcd,etcd,go.etcd.io/etcd/server/v3)
KWOK_BIN := $(call tool_dir,kwok,kwok,sigs.k8s.io/kwok)
CGEN_BIN := $(call tool_dir,controller-gen,controller-gen,sigs.k8s.io/controller-tools)
# The clients the test drives the cluster with: helm and kubectl at the versions platform/go.mod pins
# (Helm SDK, k8s.io/kubectl), named by a hash of platform/go.mod and go.sum; with the Makefile's
# GOFLAGS they reuse what `go test` of the platform checks already compiled.
E2E_CLIENTS := $(TOOL_CACHE)/e2e-clients-$(shell cat $(ROOT)/platform/go.mod $(ROOT)/platform/go.sum | sha256sum | cut -c1-12)

# Without these the servers report v0.0.0-master, which fails charts' kubeVersion constraints.
K8S_MINOR := $(word 2,$(subst ., ,$(K8S_VERSION)))
K8S_VERSION_LDFLAGS := $(foreach p,k8s.io/component-base/version k8s.io/client-go/pkg/version,\
	-X $(p).gitVersion=$(K8S_VERSION) -X $(p).gitMajor=1 -X $(p).gitMinor=$(K8S_MINOR) -X $(p).gitTreeState=clean)

# kwok's module as tools/kwok resolved it (its stage files drive the fake pods); expanded only when e2e runs.
E2E_KWOK_DIR = $(shell cd $(ROOT)/tools/kwok && GOWORK=off go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)

.PHONY: e2e e2e-tools e2e-clean

e2e-tools: $(K8S_BIN)/.done $(ETCD_BIN)/.done $(KWOK_BIN)/.done $(CGEN_BIN)/.done $(E2E_CLIENTS)/.done ## build (once per version and wrapper-module hash) etcd, kube-apiserver, -controller-manager, -scheduler, kwok, controller-gen, helm and kubectl into the tool cache

$(K8S_BIN)/.done:
	@echo "building Kubernetes $(K8S_VERSION) control plane (cold: ~10 min, 2.6 GB RAM)"
	$(call go_install,$(K8S_BIN),k8s,k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler,$(K8S_VERSION_LDFLAGS))

# The module path ends in /v3, so go build would name the binary "server".
$(ETCD_BIN)/.done:
	$(call install,$(ETCD_BIN),cd $(ROOT)/tools/etcd && GOWORK=off CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o $$out/etcd go.etcd.io/etcd/server/v3)

$(KWOK_BIN)/.done:
	$(call go_install,$(KWOK_BIN),kwok,sigs.k8s.io/kwok/cmd/kwok)

$(CGEN_BIN)/.done:
	$(call go_install,$(CGEN_BIN),controller-gen,sigs.k8s.io/controller-tools/cmd/controller-gen)

$(E2E_CLIENTS)/.done:
	$(call install,$(E2E_CLIENTS),cd $(ROOT)/platform && go build -o $$out/helm helm.sh/helm/v3/cmd/helm && go build -o $$out/kubectl ./mongodb/testdata/kubectlmain)

# tf-tools (mk/infra.mk): the namespaces get the labels the pinned terraform gives them (platform/internal/tfrun).
e2e: e2e-tools tf-tools ## deploy the chart to a local control plane (etcd + kube-* + kwok, 127.0.0.1 only) and check rollout, spread, PDB, upgrade, rollback
	cd $(ROOT)/platform && \
		E2E_KUBE_BIN=$(K8S_BIN) E2E_ETCD_BIN=$(ETCD_BIN) E2E_KWOK_BIN=$(KWOK_BIN) E2E_KWOK_DIR=$(E2E_KWOK_DIR) \
		E2E_CONTROLLER_GEN=$(CGEN_BIN)/controller-gen E2E_CLIENTS=$(E2E_CLIENTS) \
		E2E_WORKDIR=$(ROOT)/.e2e TERRAFORM=$(TERRAFORM) TFSCHEMA=$(TFSCHEMA) \
		go test -tags e2e -run TestE2E -v -count=1 -timeout 40m ./e2e/

e2e-clean: ## remove the e2e binaries (the tool cache's {kubernetes,etcd,kwok,controller-gen,e2e-clients}-*) and state (.e2e)
	rm -rf $(TOOL_CACHE)/kubernetes-* $(TOOL_CACHE)/etcd-* $(TOOL_CACHE)/kwok-* $(TOOL_CACHE)/controller-gen-* $(TOOL_CACHE)/e2e-clients-* $(ROOT)/.e2e
