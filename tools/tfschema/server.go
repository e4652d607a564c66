package main

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// server answers the provider protocol from a schema alone.
type server struct {
	schema *providerSchema
}

var _ tfprotov6.ProviderServer = (*server)(nil)

func refuse(what string) []*tfprotov6.Diagnostic {
	return []*tfprotov6.Diagnostic{{
		Severity: tfprotov6.DiagnosticSeverityError,
		Summary:  "schema stand-in provider",
		Detail:   what + " needs the real provider; this one only knows the schema (tools/tfschema).",
	}}
}

func (s *server) GetMetadata(context.Context, *tfprotov6.GetMetadataRequest) (*tfprotov6.GetMetadataResponse, error) {
	r := &tfprotov6.GetMetadataResponse{ServerCapabilities: s.schema.resp.ServerCapabilities}
	for n := range s.schema.resp.ResourceSchemas {
		r.Resources = append(r.Resources, tfprotov6.ResourceMetadata{TypeName: n})
	}
	for n := range s.schema.resp.DataSourceSchemas {
		r.DataSources = append(r.DataSources, tfprotov6.DataSourceMetadata{TypeName: n})
	}
	for n := range s.schema.resp.EphemeralResourceSchemas {
		r.EphemeralResources = append(r.EphemeralResources, tfprotov6.EphemeralResourceMetadata{TypeName: n})
	}
	for n := range s.schema.resp.Functions {
		r.Functions = append(r.Functions, tfprotov6.FunctionMetadata{Name: n})
	}
	return r, nil
}

func (s *server) GetProviderSchema(context.Context, *tfprotov6.GetProviderSchemaRequest) (*tfprotov6.GetProviderSchemaResponse, error) {
	return s.schema.resp, nil
}

func (s *server) GetResourceIdentitySchemas(context.Context, *tfprotov6.GetResourceIdentitySchemasRequest) (*tfprotov6.GetResourceIdentitySchemasResponse, error) {
	return &tfprotov6.GetResourceIdentitySchemasResponse{IdentitySchemas: map[string]*tfprotov6.ResourceIdentitySchema{}}, nil
}

func (s *server) ValidateProviderConfig(_ context.Context, req *tfprotov6.ValidateProviderConfigRequest) (*tfprotov6.ValidateProviderConfigResponse, error) {
	return &tfprotov6.ValidateProviderConfigResponse{PreparedConfig: req.Config}, nil
}

func (s *server) ConfigureProvider(context.Context, *tfprotov6.ConfigureProviderRequest) (*tfprotov6.ConfigureProviderResponse, error) {
	return &tfprotov6.ConfigureProviderResponse{}, nil
}

func (s *server) StopProvider(context.Context, *tfprotov6.StopProviderRequest) (*tfprotov6.StopProviderResponse, error) {
	return &tfprotov6.StopProviderResponse{}, nil
}

func (s *server) ValidateResourceConfig(context.Context, *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	return &tfprotov6.ValidateResourceConfigResponse{}, nil
}

func (s *server) UpgradeResourceState(_ context.Context, req *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	typ, ok := s.schema.types["resource."+req.TypeName]
	if !ok || req.RawState == nil {
		return &tfprotov6.UpgradeResourceStateResponse{Diagnostics: refuse("upgrading state of " + req.TypeName)}, nil
	}
	v, err := req.RawState.UnmarshalWithOpts(typ, tfprotov6.UnmarshalOpts{ValueFromJSONOpts: tftypes.ValueFromJSONOpts{IgnoreUndefinedAttributes: true}})
	if err != nil {
		return nil, fmt.Errorf("state of %s: %w", req.TypeName, err)
	}
	dv, err := tfprotov6.NewDynamicValue(typ, v)
	if err != nil {
		return nil, err
	}
	return &tfprotov6.UpgradeResourceStateResponse{UpgradedState: &dv}, nil
}

func (s *server) UpgradeResourceIdentity(context.Context, *tfprotov6.UpgradeResourceIdentityRequest) (*tfprotov6.UpgradeResourceIdentityResponse, error) {
	return &tfprotov6.UpgradeResourceIdentityResponse{Diagnostics: refuse("resource identity")}, nil
}

func (s *server) ReadResource(_ context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	return &tfprotov6.ReadResourceResponse{NewState: req.CurrentState, Private: req.Private}, nil
}

// PlanResourceChange plans what Terraform proposes; on create, every computed attribute the
// configuration leaves null becomes unknown, as a real provider plans it.
func (s *server) PlanResourceChange(_ context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	typ, ok := s.schema.types["resource."+req.TypeName]
	schema := s.schema.resp.ResourceSchemas[req.TypeName]
	if !ok {
		return nil, fmt.Errorf("unknown resource type %s", req.TypeName)
	}
	prior, err := req.PriorState.Unmarshal(typ)
	if err != nil {
		return nil, fmt.Errorf("prior state: %w", err)
	}
	proposed, err := req.ProposedNewState.Unmarshal(typ)
	if err != nil {
		return nil, fmt.Errorf("proposed state: %w", err)
	}
	planned := proposed
	if prior.IsNull() && !proposed.IsNull() {
		if planned, err = unknownComputed(proposed, schema.Block); err != nil {
			return nil, fmt.Errorf("plan %s: %w", req.TypeName, err)
		}
	}
	dv, err := tfprotov6.NewDynamicValue(typ, planned)
	if err != nil {
		return nil, err
	}
	return &tfprotov6.PlanResourceChangeResponse{PlannedState: &dv, PlannedPrivate: req.PriorPrivate}, nil
}

// unknownComputed returns v with every null computed attribute of b (and of its nested blocks)
// set to unknown.
func unknownComputed(v tftypes.Value, b *tfprotov6.SchemaBlock) (tftypes.Value, error) {
	if v.IsNull() || !v.IsKnown() {
		return v, nil
	}
	var attrs map[string]tftypes.Value
	if err := v.As(&attrs); err != nil {
		return v, err
	}
	for _, a := range b.Attributes {
		if cur, ok := attrs[a.Name]; ok && a.Computed && cur.IsNull() {
			attrs[a.Name] = tftypes.NewValue(cur.Type(), tftypes.UnknownValue)
		}
	}
	for _, bt := range b.BlockTypes {
		cur, ok := attrs[bt.TypeName]
		if !ok || cur.IsNull() || !cur.IsKnown() {
			continue
		}
		switch bt.Nesting {
		case tfprotov6.SchemaNestedBlockNestingModeSingle, tfprotov6.SchemaNestedBlockNestingModeGroup:
			nv, err := unknownComputed(cur, bt.Block)
			if err != nil {
				return v, err
			}
			attrs[bt.TypeName] = nv
		case tfprotov6.SchemaNestedBlockNestingModeList, tfprotov6.SchemaNestedBlockNestingModeSet:
			var elems []tftypes.Value
			if err := cur.As(&elems); err != nil {
				return v, err
			}
			for i := range elems {
				nv, err := unknownComputed(elems[i], bt.Block)
				if err != nil {
					return v, err
				}
				elems[i] = nv
			}
			attrs[bt.TypeName] = tftypes.NewValue(cur.Type(), elems)
		case tfprotov6.SchemaNestedBlockNestingModeMap:
			var elems map[string]tftypes.Value
			if err := cur.As(&elems); err != nil {
				return v, err
			}
			for k := range elems {
				nv, err := unknownComputed(elems[k], bt.Block)
				if err != nil {
					return v, err
				}
				elems[k] = nv
			}
			attrs[bt.TypeName] = tftypes.NewValue(cur.Type(), elems)
		}
	}
	return tftypes.NewValue(v.Type(), attrs), nil
}

func (s *server) ApplyResourceChange(_ context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	return &tfprotov6.ApplyResourceChangeResponse{Diagnostics: refuse("applying " + req.TypeName)}, nil
}

func (s *server) ImportResourceState(_ context.Context, req *tfprotov6.ImportResourceStateRequest) (*tfprotov6.ImportResourceStateResponse, error) {
	return &tfprotov6.ImportResourceStateResponse{Diagnostics: refuse("importing " + req.TypeName)}, nil
}

func (s *server) MoveResourceState(context.Context, *tfprotov6.MoveResourceStateRequest) (*tfprotov6.MoveResourceStateResponse, error) {
	return &tfprotov6.MoveResourceStateResponse{Diagnostics: refuse("moving state")}, nil
}

func (s *server) GenerateResourceConfig(context.Context, *tfprotov6.GenerateResourceConfigRequest) (*tfprotov6.GenerateResourceConfigResponse, error) {
	return &tfprotov6.GenerateResourceConfigResponse{Diagnostics: refuse("generating configuration")}, nil
}

func (s *server) ValidateDataResourceConfig(context.Context, *tfprotov6.ValidateDataResourceConfigRequest) (*tfprotov6.ValidateDataResourceConfigResponse, error) {
	return &tfprotov6.ValidateDataResourceConfigResponse{}, nil
}

func (s *server) ReadDataSource(_ context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	return &tfprotov6.ReadDataSourceResponse{Diagnostics: refuse("reading data source " + req.TypeName)}, nil
}

func (s *server) CallFunction(_ context.Context, req *tfprotov6.CallFunctionRequest) (*tfprotov6.CallFunctionResponse, error) {
	return &tfprotov6.CallFunctionResponse{Error: &tfprotov6.FunctionError{Text: "calling provider function " + req.Name + " needs the real provider"}}, nil
}

func (s *server) GetFunctions(context.Context, *tfprotov6.GetFunctionsRequest) (*tfprotov6.GetFunctionsResponse, error) {
	return &tfprotov6.GetFunctionsResponse{Functions: s.schema.resp.Functions}, nil
}

func (s *server) ValidateEphemeralResourceConfig(context.Context, *tfprotov6.ValidateEphemeralResourceConfigRequest) (*tfprotov6.ValidateEphemeralResourceConfigResponse, error) {
	return &tfprotov6.ValidateEphemeralResourceConfigResponse{}, nil
}

func (s *server) OpenEphemeralResource(_ context.Context, req *tfprotov6.OpenEphemeralResourceRequest) (*tfprotov6.OpenEphemeralResourceResponse, error) {
	return &tfprotov6.OpenEphemeralResourceResponse{Diagnostics: refuse("opening " + req.TypeName)}, nil
}

func (s *server) RenewEphemeralResource(context.Context, *tfprotov6.RenewEphemeralResourceRequest) (*tfprotov6.RenewEphemeralResourceResponse, error) {
	return &tfprotov6.RenewEphemeralResourceResponse{}, nil
}

func (s *server) CloseEphemeralResource(context.Context, *tfprotov6.CloseEphemeralResourceRequest) (*tfprotov6.CloseEphemeralResourceResponse, error) {
	return &tfprotov6.CloseEphemeralResourceResponse{}, nil
}
