package chart

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
	corev1 "k8s.io/api/core/v1"

	"github.com/orderstack/orderstack/platform/internal/repo"
)

// parseDockerfile parses backend/Dockerfile with BuildKit's own parser and fails the test on a
// parser warning or a finding of BuildKit's lint rules (what `docker build --check` reports). The
// Dockerfile's layout (pins, stage order, exec forms, non-root) is platform/chart/policy (conftest).
func parseDockerfile(tb testing.TB) ([]instructions.Stage, *parser.Result) {
	tb.Helper()
	res, err := parser.Parse(strings.NewReader(repo.Read(tb, filepath.Join(repo.Root(tb), "backend", "Dockerfile"))))
	if err != nil {
		tb.Fatalf("parse Dockerfile: %v", err)
	}
	for _, w := range res.Warnings {
		tb.Errorf("Dockerfile parser warning: %s", w.Short)
	}
	lint := linter.New(&linter.Config{Warn: func(rule, _, url, msg string, _ []parser.Range) {
		tb.Errorf("Dockerfile lint %s: %s (%s)", rule, msg, url)
	}})
	stages, _, err := instructions.Parse(res.AST, lint)
	if err != nil {
		tb.Fatalf("Dockerfile instructions: %v", err)
	}
	return stages, res
}

func commands[T any](s instructions.Stage) []T {
	var out []T
	for _, c := range s.Commands {
		if t, ok := c.(T); ok {
			out = append(out, t)
		}
	}
	return out
}

// TestBuildScriptBinary runs `make build` (backend/scripts/build.sh, which the Dockerfile runs
// too) and checks the binary: static (cgo off) and trimpath in its build info, the version
// stamped, no symbol table or DWARF, no local path in it. It builds from backend/go.mod alone
// (GOWORK=off), as the image does, so it also fails when backend/go.sum lacks an entry the image
// build would need. Then the health checks the image and the chart's helm test Pod run.
func TestBuildScriptBinary(t *testing.T) {
	root := repo.Root(t)
	out := filepath.Join(t.TempDir(), "orders")
	if b, err := exec.Command("make", "-C", root, "build", "BIN="+filepath.Dir(out), "VERSION=chart-test-1.2.3").CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, b)
	}
	info := repo.Must[*buildinfo.BuildInfo](t)(buildinfo.ReadFile(out))
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	// -ldflags is not recorded under -trimpath; its effects are checked below.
	if settings["CGO_ENABLED"] != "0" || settings["-trimpath"] != "true" || info.Path != "github.com/orderstack/orderstack/backend/cmd/orders" {
		t.Errorf("build info: main %s, CGO_ENABLED=%q, -trimpath=%q; want backend/cmd/orders, 0, true", info.Path, settings["CGO_ENABLED"], settings["-trimpath"])
	}
	if v, err := exec.Command(out, "-version").Output(); err != nil || strings.TrimSpace(string(v)) != "orders chart-test-1.2.3" {
		t.Errorf("orders -version = %q, %v; want orders chart-test-1.2.3", v, err)
	}
	ef := repo.Must[*elf.File](t)(elf.Open(out))
	defer ef.Close()
	for _, sec := range ef.Sections {
		if sec.Name == ".symtab" || strings.HasPrefix(sec.Name, ".debug_") || strings.HasPrefix(sec.Name, ".zdebug_") {
			t.Errorf("the binary has section %s (-s -w not applied)", sec.Name)
		}
	}
	if data, err := os.ReadFile(out); err != nil || bytes.Contains(data, []byte(root)) {
		t.Errorf("the binary contains the local path %s (trimpath not applied), or %v", root, err)
	}

	// The Dockerfile's HEALTHCHECK and the helm test Pod's args, run with the real binary against
	// a local server: exit 0 while /readyz answers 200, non-zero once it answers 503.
	var ready atomic.Bool
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/readyz" {
			hits.Add(1)
			if ready.Load() {
				return
			}
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	stages, _ := parseDockerfile(t)
	dockerArgs := commands[*instructions.HealthCheckCommand](stages[len(stages)-1])[0].Health.Test[2:] // after CMD and the binary
	r := render(t, nil, nil)
	svc := one[corev1.Service](t, r.objects)
	var helmArgs []string
	for _, a := range one[corev1.Pod](t, r.hooks).Spec.Containers[0].Args {
		helmArgs = append(helmArgs, strings.Replace(a, fmt.Sprintf("http://%s:%d", svc.Name, svc.Spec.Ports[0].Port), srv.URL, 1))
	}
	for name, args := range map[string][]string{"Dockerfile HEALTHCHECK": dockerArgs, "helm test Pod": helmArgs} {
		for _, isReady := range []bool{true, false} {
			ready.Store(isReady)
			cmd := exec.Command(out, args...)
			cmd.Env = append(os.Environ(), "PORT="+strings.TrimPrefix(srv.URL, "http://127.0.0.1:"))
			if b, err := cmd.CombinedOutput(); (err == nil) != isReady {
				t.Errorf("%s %v with /readyz ready=%v: %v\n%s", name, args, isReady, err, b)
			}
		}
	}
	if hits.Load() == 0 {
		t.Error("no health check reached /readyz")
	}
}

func TestDockerignore(t *testing.T) {
	patterns := repo.Must[[]string](t)(ignorefile.ReadAll(strings.NewReader(repo.Read(t, filepath.Join(repo.Root(t), "backend", ".dockerignore")))))
	pm := repo.Must[*patternmatcher.PatternMatcher](t)(patternmatcher.New(patterns))
	for path, wantExcluded := range map[string]bool{
		"go.mod": false, "go.sum": false, "scripts/build.sh": false, "cmd/orders/main.go": false,
		"internal/httpapi/openapi.yaml": false, "internal/order/order.go": false,
		".git/config": true, "bin/orders": true, "internal/order/order_test.go": true,
		"internal/mongodb/testdata/x.json": true, "README.md": true, "local/cmd/orders-local/main.go": true,
	} {
		if got, err := pm.MatchesOrParentMatches(path); err != nil || got != wantExcluded {
			t.Errorf(".dockerignore excludes %s = %v (%v), want %v", path, got, err, wantExcluded)
		}
	}
}
