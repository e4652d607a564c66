// Package onbackend runs the backend module's tests that need a MongoDB
// server on the embedded FerretDB. It is a package of its own because it
// runs other packages' tests (go test in backend/), whose inputs go test's
// result cache cannot see from here: it always runs (mk/store.mk), while
// mongodbtest's own tests may be cached.
package onbackend

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/orderstack/orderstack/backend/local/internal/localdb"
)

// serverURI is the embedded FerretDB that TestMain starts for the package.
var serverURI string

func TestMain(m *testing.M) {
	os.Exit(localdb.RunWithTemp("onbackend-", func(uri, _ string) { serverURI = uri }, m.Run))
}

// TestBackendTestsOnFerretDB runs the backend module's tests that need a
// MongoDB server (they skip without TEST_MONGODB_URL; CI's mongodb job
// gives them a real mongod) on the embedded FerretDB: the adapter's own
// tests (indexes, error translation, metrics, the contract without its
// concurrent case, which needs serial.New on FerretDB and runs in TestStore
// here) and cmd/orders' end-to-end run.
func TestBackendTestsOnFerretDB(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs two test binaries of the backend module")
	}
	backend, err := filepath.Abs(filepath.Join("..", "..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		pkg  string
		args []string
		want []string // tests that must have passed (not skipped)
	}{
		{"./internal/mongodb/", []string{"-skip", "^TestStore$/^ApplyStockConcurrent$"},
			[]string{"TestStore", "TestEnsureIndexesIdempotent", "TestApplyStockReplyProjection", "TestErrorTranslation", "TestMetrics"}},
		{"./cmd/orders/", []string{"-run", "^TestRunEndToEnd$"}, []string{"TestRunEndToEnd"}},
	} {
		t.Run(c.pkg, func(t *testing.T) {
			t.Parallel() // two go test processes side by side
			// -vet=off: make test-store runs go vet on these packages before this test.
			args := append([]string{"test", "-vet=off", "-count=1", "-v"}, c.args...)
			cmd := exec.CommandContext(t.Context(), "go", append(args, c.pkg)...)
			cmd.Dir = backend
			cmd.Env = append(os.Environ(), "TEST_MONGODB_URL="+serverURI)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("TEST_MONGODB_URL=%s go %v (in backend/): %v\n%s", serverURI, cmd.Args[1:], err, out)
			}
			passed := regexp.MustCompile(`(?m)^--- PASS: (\S+)`).FindAllStringSubmatch(string(out), -1)
			var names []string
			for _, m := range passed {
				names = append(names, m[1])
			}
			for _, w := range c.want {
				if !slices.Contains(names, w) {
					t.Errorf("%s: %s did not pass (skipped or absent); passed: %v\n%s", c.pkg, w, names, out)
				}
			}
			if skipped := regexp.MustCompile(`(?m)^\s*--- SKIP: .*`).FindAllString(string(out), -1); len(skipped) > 0 {
				t.Errorf("%s: tests skipped with TEST_MONGODB_URL set: %q", c.pkg, skipped)
			}
		})
	}
}
