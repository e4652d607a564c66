// Package oci replaces Terraform's OCI Object Storage state backend in the orderstack build of
// Terraform (tools/terraform): every call fails with a message saying so.
package oci

import (
	"errors"

	"github.com/hashicorp/terraform/internal/backend"
	"github.com/hashicorp/terraform/internal/configs/configschema"
	"github.com/hashicorp/terraform/internal/states/statemgr"
	"github.com/hashicorp/terraform/internal/tfdiags"
	"github.com/zclconf/go-cty/cty"
)

var errNotBuilt = errors.New(`the "oci" backend is not part of this Terraform build (orderstack tools/terraform); use the official release`)

type notBuilt struct{}

// New returns the backend that refuses every operation.
func New() backend.Backend { return notBuilt{} }

func (notBuilt) ConfigSchema() *configschema.Block { return &configschema.Block{} }

func (notBuilt) PrepareConfig(v cty.Value) (cty.Value, tfdiags.Diagnostics) {
	var diags tfdiags.Diagnostics
	return v, diags.Append(errNotBuilt)
}

func (notBuilt) Configure(cty.Value) tfdiags.Diagnostics {
	var diags tfdiags.Diagnostics
	return diags.Append(errNotBuilt)
}

func (notBuilt) StateMgr(string) (statemgr.Full, error) { return nil, errNotBuilt }
func (notBuilt) DeleteWorkspace(string, bool) error     { return errNotBuilt }
func (notBuilt) Workspaces() ([]string, error)          { return nil, errNotBuilt }
