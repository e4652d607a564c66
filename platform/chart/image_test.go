package chart

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
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

var (
	builderImage = regexp.MustCompile(`^golang:1\.26(\.[0-9]+)?@sha256:[a-f0-9]{64}$`)
	runtimeImage = regexp.MustCompile(`^gcr\.io/distroless/static-debian12:nonroot@sha256:[a-f0-9]{64}$`)
)

// parseDockerfile parses backend/Dockerfile with BuildKit's own parser and
// fails the test on any parser warning or BuildKit lint finding.
func parseDockerfile(tb testing.TB) ([]instructions.Stage, *parser.Result) {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(repo.Root(tb), "backend", "Dockerfile"))
	if err != nil {
		tb.Fatal(err)
	}
	res, err := parser.Parse(bytes.NewReader(b))
	if err != nil {
		tb.Fatalf("parse Dockerfile: %v", err)
	}
	if len(res.Warnings) > 0 {
		for _, w := range res.Warnings {
			tb.Errorf("Dockerfile parser warning: %s", w.Short)
		}
	}
	// BuildKit's own lint rules (what `docker build --check` reports), minus the experimental ones.
	lint := linter.New(&linter.Config{Warn: func(rule, desc, url, msg string, loc []parser.Range) {
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

// index of the first command of a stage matching fn, or -1.
func index(s instructions.Stage, fn func(instructions.Command) bool) int {
	return slices.IndexFunc(s.Commands, fn)
}

func TestDockerfile(t *testing.T) {
	stages, res := parseDockerfile(t)
	if len(stages) != 2 {
		t.Fatalf("Dockerfile has %d stages, want 2 (build, runtime)", len(stages))
	}
	build, runtime := stages[0], stages[1]

	t.Run("base images pinned by digest with the tag in a comment", func(t *testing.T) {
		if !builderImage.MatchString(build.BaseName) {
			t.Errorf("build stage FROM %q, want golang:1.26@sha256:<digest>", build.BaseName)
		}
		if !runtimeImage.MatchString(runtime.BaseName) {
			t.Errorf("runtime stage FROM %q, want gcr.io/distroless/static-debian12:nonroot@sha256:<digest>", runtime.BaseName)
		}
		// The comment right above each FROM names the tag the digest was taken from.
		for _, n := range res.AST.Children {
			if !strings.EqualFold(n.Value, "from") {
				continue
			}
			image := n.Next.Value
			tag, _, _ := strings.Cut(image, "@")
			if len(n.PrevComment) == 0 || !strings.Contains(n.PrevComment[len(n.PrevComment)-1], tag) {
				t.Errorf("FROM %s: the comment above it (%q) does not name the tag %s", image, n.PrevComment, tag)
			}
		}
	})

	t.Run("modules are downloaded before the sources are copied", func(t *testing.T) {
		copyMod := index(build, func(c instructions.Command) bool {
			cp, ok := c.(*instructions.CopyCommand)
			return ok && slices.Equal(cp.SourcePaths, []string{"go.mod", "go.sum"})
		})
		download := index(build, func(c instructions.Command) bool {
			r, ok := c.(*instructions.RunCommand)
			return ok && strings.Contains(strings.Join(r.CmdLine, " "), "go mod download")
		})
		copyAll := index(build, func(c instructions.Command) bool {
			cp, ok := c.(*instructions.CopyCommand)
			return ok && slices.Contains(cp.SourcePaths, ".")
		})
		buildRun := index(build, func(c instructions.Command) bool {
			r, ok := c.(*instructions.RunCommand)
			return ok && strings.Contains(strings.Join(r.CmdLine, " "), "./scripts/build.sh")
		})
		if copyMod < 0 || download < 0 || copyAll < 0 || buildRun < 0 {
			t.Fatalf("build stage: COPY go.mod go.sum at %d, RUN go mod download at %d, COPY . at %d, RUN ./scripts/build.sh at %d; want all", copyMod, download, copyAll, buildRun)
		}
		if !(copyMod < download && download < copyAll && copyAll < buildRun) {
			t.Errorf("build stage order: COPY go.mod go.sum %d, go mod download %d, COPY . %d, build.sh %d; want increasing", copyMod, download, copyAll, buildRun)
		}
	})

	t.Run("runtime stage", func(t *testing.T) {
		// CI passes VERSION and REVISION as build args (.github/workflows/image.yml).
		declared := map[string]bool{}
		for _, a := range commands[*instructions.ArgCommand](runtime) {
			for _, kv := range a.Args {
				declared[kv.Key] = true
			}
		}
		for _, a := range []string{"VERSION", "REVISION"} {
			if !declared[a] {
				t.Errorf("runtime stage does not declare ARG %s", a)
			}
		}
		if n := len(commands[*instructions.RunCommand](runtime)); n != 0 {
			t.Errorf("runtime stage has %d RUN instructions; distroless has no shell", n)
		}

		users := commands[*instructions.UserCommand](runtime)
		if len(users) == 0 || !slices.Contains([]string{"nonroot:nonroot", "65532:65532"}, users[len(users)-1].User) {
			t.Errorf("USER %v, want nonroot:nonroot (65532)", users)
		}

		// The binary copied from the build stage is what ENTRYPOINT and HEALTHCHECK run.
		var binary string
		for _, cp := range commands[*instructions.CopyCommand](runtime) {
			if cp.From == build.Name && slices.Equal(cp.SourcePaths, []string{"/out/orders"}) {
				binary = cp.DestPath
			}
		}
		if binary == "" {
			t.Fatal("runtime stage does not COPY --from=build /out/orders")
		}

		eps := commands[*instructions.EntrypointCommand](runtime)
		if len(eps) != 1 {
			t.Fatalf("%d ENTRYPOINTs, want 1", len(eps))
		}
		if eps[0].PrependShell {
			t.Error("ENTRYPOINT is in shell form; want exec form (signals reach the process, no shell needed)")
		}
		if diff := slices.Compare(eps[0].CmdLine, []string{binary}); diff != 0 {
			t.Errorf("ENTRYPOINT %v, want [%s]", eps[0].CmdLine, binary)
		}

		hcs := commands[*instructions.HealthCheckCommand](runtime)
		if len(hcs) != 1 || hcs[0].Health == nil {
			t.Fatalf("HEALTHCHECK %v, want one", hcs)
		}
		if test := hcs[0].Health.Test; len(test) < 3 || test[0] != "CMD" || test[1] != binary || test[2] != "healthcheck" {
			t.Errorf("HEALTHCHECK test %v, want [CMD %s healthcheck ...] (exec form: no shell in the image)", test, binary)
		}
	})
}

// TestBuildScriptBinary runs `make build` (backend/scripts/build.sh, which the
// Dockerfile runs too, see TestDockerfile) and checks the binary it makes:
// static (cgo off) and trimpath in its build info, the version stamped, no
// symbol table or DWARF, no local path in it. It builds from backend/go.mod
// alone (GOWORK=off), as the image does, so it also fails when backend/go.sum
// lacks an entry the image build would need.
func TestBuildScriptBinary(t *testing.T) {
	root := repo.Root(t)
	if _, err := os.Stat(filepath.Join(root, "backend", "cmd", "orders")); err != nil {
		t.Skip("backend/cmd/orders does not exist yet")
	}
	bin := t.TempDir()
	out := filepath.Join(bin, "orders")
	cmd := exec.Command("make", "-C", root, "build", "BIN="+bin, "VERSION=chart-test-1.2.3")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, b)
	}

	info, err := buildinfo.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	// -ldflags is not recorded under -trimpath; its effects are checked below.
	for k, want := range map[string]string{"CGO_ENABLED": "0", "-trimpath": "true"} {
		if settings[k] != want {
			t.Errorf("build setting %s = %q, want %q", k, settings[k], want)
		}
	}
	if info.Path != "github.com/orderstack/orderstack/backend/cmd/orders" {
		t.Errorf("binary main package = %q", info.Path)
	}

	v, err := exec.Command(out, "-version").Output()
	if err != nil {
		t.Fatalf("orders -version: %v", err)
	}
	if got := strings.TrimSpace(string(v)); got != "orders chart-test-1.2.3" {
		t.Errorf("orders -version = %q, want %q", got, "orders chart-test-1.2.3")
	}

	// -s -w: no symbol table, no DWARF.
	ef, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	for _, sec := range ef.Sections {
		if sec.Name == ".symtab" || strings.HasPrefix(sec.Name, ".debug_") || strings.HasPrefix(sec.Name, ".zdebug_") {
			t.Errorf("the binary has section %s (-s -w not applied)", sec.Name)
		}
	}

	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(root)) {
		t.Errorf("the binary contains the local path %s (trimpath not applied)", root)
	}

	t.Run("the health checks the image and chart run work with this binary", func(t *testing.T) {
		checkHealthCommands(t, out)
	})
}

// checkHealthCommands runs the real binary with the arguments of the
// Dockerfile's HEALTHCHECK and of the chart's helm test Pod against a local
// server: exit 0 while /readyz answers 200, non-zero once it answers 503.
func checkHealthCommands(t *testing.T, binary string) {
	var ready atomic.Bool
	var paths sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths.Store(r.URL.Path, true)
		if r.URL.Path == "/readyz" && ready.Load() {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	port := srv.Listener.Addr().(*net.TCPAddr).Port

	stages, _ := parseDockerfile(t)
	hcs := commands[*instructions.HealthCheckCommand](stages[len(stages)-1])
	if len(hcs) != 1 {
		t.Fatalf("%d HEALTHCHECKs", len(hcs))
	}
	dockerArgs := hcs[0].Health.Test[2:] // after CMD and the binary

	r := render(t, nil, nil)
	pod := one[corev1.Pod](t, r.hooks)
	svc := one[corev1.Service](t, r.objects)
	helmArgs := slices.Clone(pod.Spec.Containers[0].Args)
	for i, a := range helmArgs {
		// The Service's address inside the cluster becomes the local server.
		helmArgs[i] = strings.Replace(a, fmt.Sprintf("http://%s:%d", svc.Name, svc.Spec.Ports[0].Port), srv.URL, 1)
	}

	for _, tc := range []struct {
		name string
		args []string
	}{
		{"Dockerfile HEALTHCHECK", dockerArgs},
		{"helm test Pod", helmArgs},
	} {
		for _, isReady := range []bool{true, false} {
			ready.Store(isReady)
			cmd := exec.Command(binary, tc.args...)
			cmd.Env = append(os.Environ(), fmt.Sprintf("PORT=%d", port))
			outb, err := cmd.CombinedOutput()
			if isReady && err != nil {
				t.Errorf("%s %v with /readyz 200: %v\n%s", tc.name, tc.args, err, outb)
			}
			if !isReady && err == nil {
				t.Errorf("%s %v with /readyz 503: exit 0, want failure", tc.name, tc.args)
			}
		}
	}
	if _, ok := paths.Load("/readyz"); !ok {
		t.Error("no health check reached /readyz")
	}
}

func TestDockerignore(t *testing.T) {
	f, err := os.Open(filepath.Join(repo.Root(t), "backend", ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatal(err)
	}
	for path, wantExcluded := range map[string]bool{
		"go.mod":                           false,
		"go.sum":                           false,
		"scripts/build.sh":                 false,
		"cmd/orders/main.go":               false,
		"internal/httpapi/openapi.yaml":    false,
		"internal/order/order.go":          false,
		".git/config":                      true,
		"bin/orders":                       true,
		"internal/order/order_test.go":     true,
		"internal/mongodb/testdata/x.json": true,
		"README.md":                        true,
		"local/cmd/orders-local/main.go":   true,
	} {
		got, err := pm.MatchesOrParentMatches(path)
		if err != nil {
			t.Fatal(err)
		}
		if got != wantExcluded {
			t.Errorf(".dockerignore excludes %s = %v, want %v", path, got, wantExcluded)
		}
	}
}
