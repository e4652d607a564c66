package terraform

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/orderstack/orderstack/platform/internal/tfrun"
)

// tfConsole evaluates expr with the real terraform (tfrun.Console: `terraform console` on the
// schema stand-in) in a copy of module directory dir of infra/, with the variables of tfvars
// (HCL), and returns the one line it prints. make test-infra passes TERRAFORM and TFSCHEMA;
// without them the test is skipped.
func tfConsole(t *testing.T, dir, tfvars, expr string) []byte {
	t.Helper()
	out, err := tfrun.Console(filepath.Join(infraDir, dir), tfvars, expr)
	if errors.Is(err, tfrun.ErrNoTerraform) {
		t.Skip("TERRAFORM and TFSCHEMA are not set: run make test-infra, which builds both")
	}
	if err != nil {
		t.Fatal(err)
	}
	return out
}
