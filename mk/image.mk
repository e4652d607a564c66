# The production binary and the container image.
# Both build through
# backend/scripts/build.sh, the one place that defines the release build flags.

IMAGE    ?= orders
VERSION  ?= $(shell git -C $(ROOT) describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION ?= $(shell git -C $(ROOT) rev-parse HEAD 2>/dev/null || echo unknown)
# Comma-separated buildx platforms; EKS nodes may be amd64 or arm64 (Graviton).
PLATFORM ?= linux/amd64
# --load puts a single-platform image into the local engine; CI pushes with --push.
IMAGE_OUTPUT ?= --load

.PHONY: build image

build: ## build the production binary bin/orders via backend/scripts/build.sh (VERSION=...)
	VERSION=$(VERSION) $(ROOT)/backend/scripts/build.sh $(BIN)/orders

image: ## build the image IMAGE:VERSION from backend/Dockerfile with docker buildx (needs a Docker engine; IMAGE_OUTPUT=--push for CI)
	@if ! docker info >/dev/null 2>&1 || ! docker buildx version >/dev/null 2>&1; then \
		echo "make image: needs a running Docker engine with buildx ('docker info' and 'docker buildx version' must work)." >&2; \
		echo "The Dockerfile is still checked offline by 'go test ./chart/...' in platform/." >&2; \
		exit 1; \
	fi
	docker buildx build $(IMAGE_OUTPUT) --platform $(PLATFORM) \
		--build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) \
		-t $(IMAGE):$(VERSION) $(ROOT)/backend
