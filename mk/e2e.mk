# End-to-end on a real Kubernetes control plane (docs/e2e.md).
# The control plane is built from the pinned wrapper modules under tools/ (GOWORK=off) into
# .cache/bin/<name>-<version>-<hash of go.mod and go.sum>/, so a change of the wrapper module rebuilds
# and a second run (or a fresh checkout with a restored cache) reuses the binaries.

E2E_CACHE := $(ROOT)/.cache/bin
# One source of truth for each version: the wrapper module's go.mod.
e2e_mod_version = $(shell awk '$$1 == "$(2)" && $$2 ~ /^v/ {print $$2; exit}' $(ROOT)/tools/$(1)/go.mod)
K8S_VERSION  := $(call e2e_mod_version,k8s,k8s.io/kubernetes)
ETCD_VERSION := $(call e2e_mod_version,etcd,go.etcd.io/etcd/server/v3)
KWOK_VERSION := $(call e2e_mod_version,kwok,sigs.k8s.io/kwok)
CGEN_VERSION := $(call e2e_mod_version,controller-gen,sigs.k8s.io/controller-tools)

# Each directory is named by the version and a hash of the wrapper module (go.mod, go.sum), not
# rebuilt on a newer file time: a fresh checkout (CI, a worktree) reuses what a cache restored.
e2e_mod_hash = $(shell cat $(ROOT)/tools/$(1)/go.mod $(ROOT)/tools/$(1)/go.sum | sha256sum | cut -c1-12)
K8S_BIN  := $(E2E_CACHE)/kubernetes-$(K8S_VERSION)-$(call e2e_mod_hash,k8s)
ETCD_BIN := $(E2E_CACHE)/etcd-$(ETCD_VERSION)-$(call e2e_mod_hash,etcd)
KWOK_BIN := $(E2E_CACHE)/kwok-$(KWOK_VERSION)-$(call e2e_mod_hash,kwok)
CGEN_BIN := $(E2E_CACHE)/controller-gen-$(CGEN_VERSION)-$(call e2e_mod_hash,controller-gen)
# The clients the test drives the cluster with: helm and kubectl at the versions platform/go.mod pins
# (Helm SDK, k8s.io/kubectl), named by a hash of platform/go.mod and go.sum; with the Makefile's
# GOFLAGS they reuse what `go test` of the platform checks already compiled.
E2E_CLIENTS := $(E2E_CACHE)/e2e-clients-$(shell cat $(ROOT)/platform/go.mod $(ROOT)/platform/go.sum | sha256sum | cut -c1-12)

# Without these the servers report v0.0.0-master, which fails charts' kubeVersion constraints.
K8S_MINOR := $(word 2,$(subst ., ,$(K8S_VERSION)))
K8S_VERSION_LDFLAGS := $(foreach p,k8s.io/component-base/version k8s.io/client-go/pkg/version,\
	-X $(p).gitVersion=$(K8S_VERSION) -X $(p).gitMajor=1 -X $(p).gitMinor=$(K8S_MINOR) -X $(p).gitTreeState=clean)

E2E_GOBUILD := GOWORK=off CGO_ENABLED=0 go build -trimpath
# kwok's module as tools/kwok resolved it (its stage files drive the fake pods); expanded only when e2e runs.
E2E_KWOK_DIR = $(shell cd $(ROOT)/tools/kwok && GOWORK=off go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)

.PHONY: e2e e2e-tools e2e-clean

e2e-tools: $(K8S_BIN)/.done $(ETCD_BIN)/.done $(KWOK_BIN)/.done $(CGEN_BIN)/.done $(E2E_CLIENTS)/.done ## build (once per version and wrapper-module hash) etcd, kube-apiserver, -controller-manager, -scheduler, kwok, controller-gen, helm and kubectl into .cache/bin

# Each build goes to a temporary directory that is renamed only when complete, so an
# interrupted build is never mistaken for a cached one.
$(K8S_BIN)/.done:
	@echo "building Kubernetes $(K8S_VERSION) control plane (cold: ~10 min, 2.6 GB RAM)"
	rm -rf $(K8S_BIN) $(K8S_BIN).tmp && mkdir -p $(K8S_BIN).tmp
	cd $(ROOT)/tools/k8s && $(E2E_GOBUILD) -ldflags "-s -w $(K8S_VERSION_LDFLAGS)" -o $(K8S_BIN).tmp/ \
		k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler
	touch $(K8S_BIN).tmp/.done && mv $(K8S_BIN).tmp $(K8S_BIN)

$(ETCD_BIN)/.done:
	rm -rf $(ETCD_BIN) $(ETCD_BIN).tmp && mkdir -p $(ETCD_BIN).tmp
	cd $(ROOT)/tools/etcd && $(E2E_GOBUILD) -ldflags "-s -w" -o $(ETCD_BIN).tmp/etcd go.etcd.io/etcd/server/v3
	touch $(ETCD_BIN).tmp/.done && mv $(ETCD_BIN).tmp $(ETCD_BIN)

$(KWOK_BIN)/.done:
	rm -rf $(KWOK_BIN) $(KWOK_BIN).tmp && mkdir -p $(KWOK_BIN).tmp
	cd $(ROOT)/tools/kwok && $(E2E_GOBUILD) -ldflags "-s -w" -o $(KWOK_BIN).tmp/kwok sigs.k8s.io/kwok/cmd/kwok
	touch $(KWOK_BIN).tmp/.done && mv $(KWOK_BIN).tmp $(KWOK_BIN)

$(CGEN_BIN)/.done:
	rm -rf $(CGEN_BIN) $(CGEN_BIN).tmp && mkdir -p $(CGEN_BIN).tmp
	cd $(ROOT)/tools/controller-gen && $(E2E_GOBUILD) -ldflags "-s -w" -o $(CGEN_BIN).tmp/controller-gen sigs.k8s.io/controller-tools/cmd/controller-gen
	touch $(CGEN_BIN).tmp/.done && mv $(CGEN_BIN).tmp $(CGEN_BIN)

$(E2E_CLIENTS)/.done:
	rm -rf $(E2E_CLIENTS) $(E2E_CLIENTS).tmp && mkdir -p $(E2E_CLIENTS).tmp
	cd $(ROOT)/platform && go build -o $(E2E_CLIENTS).tmp/helm helm.sh/helm/v3/cmd/helm && \
		go build -o $(E2E_CLIENTS).tmp/kubectl ./mongodb/testdata/kubectlmain
	touch $(E2E_CLIENTS).tmp/.done && mv $(E2E_CLIENTS).tmp $(E2E_CLIENTS)

# tf-tools (mk/infra.mk): the namespaces get the labels the pinned terraform gives them (platform/internal/tfrun).
e2e: e2e-tools tf-tools ## deploy the chart to a local control plane (etcd + kube-* + kwok, 127.0.0.1 only) and check rollout, spread, PDB, upgrade, rollback
	cd $(ROOT)/platform && \
		E2E_KUBE_BIN=$(K8S_BIN) E2E_ETCD_BIN=$(ETCD_BIN) E2E_KWOK_BIN=$(KWOK_BIN) E2E_KWOK_DIR=$(E2E_KWOK_DIR) \
		E2E_CONTROLLER_GEN=$(CGEN_BIN)/controller-gen E2E_CLIENTS=$(E2E_CLIENTS) \
		E2E_WORKDIR=$(ROOT)/.e2e TERRAFORM=$(TERRAFORM) TFSCHEMA=$(TFSCHEMA) \
		go test -tags e2e -run TestE2E -v -count=1 -timeout 40m ./e2e/

e2e-clean: ## remove the e2e binaries cache and state (.cache/bin/{kubernetes,etcd,kwok,controller-gen,e2e-clients}-*, .e2e)
	rm -rf $(E2E_CACHE)/kubernetes-* $(E2E_CACHE)/etcd-* $(E2E_CACHE)/kwok-* $(E2E_CACHE)/controller-gen-* $(E2E_CACHE)/e2e-clients-* $(ROOT)/.e2e
