package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/ulikunitz/xz"
)

// The document `terraform providers schema -json` prints (format 1.0). Only what the protocol
// carries is read.
type schemasDoc struct {
	FormatVersion   string                     `json:"format_version"`
	ProviderSchemas map[string]json.RawMessage `json:"provider_schemas"`
}

type providerDoc struct {
	Provider           *schemaDoc             `json:"provider"`
	Resources          map[string]*schemaDoc  `json:"resource_schemas"`
	DataSources        map[string]*schemaDoc  `json:"data_source_schemas"`
	EphemeralResources map[string]*schemaDoc  `json:"ephemeral_resource_schemas"`
	Functions          map[string]functionDoc `json:"functions"`
}

type schemaDoc struct {
	Version int64     `json:"version"`
	Block   *blockDoc `json:"block"`
}

type blockDoc struct {
	Attributes      map[string]*attributeDoc `json:"attributes"`
	BlockTypes      map[string]*blockTypeDoc `json:"block_types"`
	Description     string                   `json:"description"`
	DescriptionKind string                   `json:"description_kind"`
	Deprecated      bool                     `json:"deprecated"`
}

type attributeDoc struct {
	Type            json.RawMessage `json:"type"`
	NestedType      *nestedTypeDoc  `json:"nested_type"`
	Description     string          `json:"description"`
	DescriptionKind string          `json:"description_kind"`
	Required        bool            `json:"required"`
	Optional        bool            `json:"optional"`
	Computed        bool            `json:"computed"`
	Sensitive       bool            `json:"sensitive"`
	Deprecated      bool            `json:"deprecated"`
	WriteOnly       bool            `json:"write_only"`
}

type nestedTypeDoc struct {
	Attributes  map[string]*attributeDoc `json:"attributes"`
	NestingMode string                   `json:"nesting_mode"`
}

type blockTypeDoc struct {
	NestingMode string    `json:"nesting_mode"`
	Block       *blockDoc `json:"block"`
	MinItems    int64     `json:"min_items"`
	MaxItems    int64     `json:"max_items"`
}

type functionDoc struct {
	Description        string          `json:"description"`
	Summary            string          `json:"summary"`
	DeprecationMessage string          `json:"deprecation_message"`
	ReturnType         json.RawMessage `json:"return_type"`
	Parameters         []parameterDoc  `json:"parameters"`
	VariadicParameter  *parameterDoc   `json:"variadic_parameter"`
}

type parameterDoc struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	IsNullable  bool            `json:"is_nullable"`
	Type        json.RawMessage `json:"type"`
}

// providerSchema is one provider's schemas in protocol form, plus the object type of each
// resource, data source and ephemeral resource for decoding the values Terraform sends.
type providerSchema struct {
	resp  *tfprotov6.GetProviderSchemaResponse
	types map[string]tftypes.Type // "resource.aws_vpc", "data.aws_region", "ephemeral.x", "provider"
}

// loadProvider reads the xz-compressed schemas document and converts the schemas of the
// provider whose address is addr (registry.terraform.io/hashicorp/aws).
func loadProvider(r io.Reader, addr string) (*providerSchema, error) {
	xr, err := xz.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("read xz: %w", err)
	}
	var doc schemasDoc
	if err := json.NewDecoder(xr).Decode(&doc); err != nil {
		return nil, fmt.Errorf("decode schemas: %w", err)
	}
	if doc.FormatVersion != "1.0" {
		return nil, fmt.Errorf("schemas format %q, want 1.0", doc.FormatVersion)
	}
	raw, ok := doc.ProviderSchemas[addr]
	if !ok {
		names := make([]string, 0, len(doc.ProviderSchemas))
		for n := range doc.ProviderSchemas {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("no schema for provider %s (the file has %v)", addr, names)
	}
	var p providerDoc
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("decode %s: %w", addr, err)
	}
	out := &providerSchema{
		resp: &tfprotov6.GetProviderSchemaResponse{
			ServerCapabilities:       &tfprotov6.ServerCapabilities{PlanDestroy: true},
			ResourceSchemas:          map[string]*tfprotov6.Schema{},
			DataSourceSchemas:        map[string]*tfprotov6.Schema{},
			EphemeralResourceSchemas: map[string]*tfprotov6.Schema{},
			Functions:                map[string]*tfprotov6.Function{},
		},
		types: map[string]tftypes.Type{},
	}
	conv := func(kind string, in map[string]*schemaDoc, dst map[string]*tfprotov6.Schema) error {
		for name, s := range in {
			ps, err := convertSchema(s)
			if err != nil {
				return fmt.Errorf("%s %s: %w", kind, name, err)
			}
			dst[name] = ps
			out.types[kind+"."+name] = ps.ValueType()
		}
		return nil
	}
	if p.Provider == nil {
		p.Provider = &schemaDoc{Block: &blockDoc{}}
	}
	ps, err := convertSchema(p.Provider)
	if err != nil {
		return nil, fmt.Errorf("provider: %w", err)
	}
	out.resp.Provider = ps
	out.types["provider"] = ps.ValueType()
	if err := conv("resource", p.Resources, out.resp.ResourceSchemas); err != nil {
		return nil, err
	}
	if err := conv("data", p.DataSources, out.resp.DataSourceSchemas); err != nil {
		return nil, err
	}
	if err := conv("ephemeral", p.EphemeralResources, out.resp.EphemeralResourceSchemas); err != nil {
		return nil, err
	}
	for name, f := range p.Functions {
		pf, err := convertFunction(f)
		if err != nil {
			return nil, fmt.Errorf("function %s: %w", name, err)
		}
		out.resp.Functions[name] = pf
	}
	return out, nil
}

func convertSchema(s *schemaDoc) (*tfprotov6.Schema, error) {
	if s.Block == nil {
		s.Block = &blockDoc{}
	}
	b, err := convertBlock(s.Block)
	if err != nil {
		return nil, err
	}
	return &tfprotov6.Schema{Version: s.Version, Block: b}, nil
}

func descriptionKind(k string) tfprotov6.StringKind {
	if k == "markdown" {
		return tfprotov6.StringKindMarkdown
	}
	return tfprotov6.StringKindPlain
}

func convertBlock(b *blockDoc) (*tfprotov6.SchemaBlock, error) {
	out := &tfprotov6.SchemaBlock{
		Description:     b.Description,
		DescriptionKind: descriptionKind(b.DescriptionKind),
		Deprecated:      b.Deprecated,
	}
	for _, name := range sortedKeys(b.Attributes) {
		a, err := convertAttribute(name, b.Attributes[name])
		if err != nil {
			return nil, err
		}
		out.Attributes = append(out.Attributes, a)
	}
	for _, name := range sortedKeys(b.BlockTypes) {
		bt := b.BlockTypes[name]
		if bt.Block == nil {
			bt.Block = &blockDoc{}
		}
		inner, err := convertBlock(bt.Block)
		if err != nil {
			return nil, fmt.Errorf("block %s: %w", name, err)
		}
		mode, err := blockNesting(bt.NestingMode)
		if err != nil {
			return nil, fmt.Errorf("block %s: %w", name, err)
		}
		out.BlockTypes = append(out.BlockTypes, &tfprotov6.SchemaNestedBlock{
			TypeName: name, Block: inner, Nesting: mode, MinItems: bt.MinItems, MaxItems: bt.MaxItems,
		})
	}
	return out, nil
}

func convertAttribute(name string, a *attributeDoc) (*tfprotov6.SchemaAttribute, error) {
	out := &tfprotov6.SchemaAttribute{
		Name:            name,
		Description:     a.Description,
		DescriptionKind: descriptionKind(a.DescriptionKind),
		Required:        a.Required,
		Optional:        a.Optional,
		Computed:        a.Computed,
		Sensitive:       a.Sensitive,
		Deprecated:      a.Deprecated,
		WriteOnly:       a.WriteOnly,
	}
	switch {
	case a.NestedType != nil:
		obj := &tfprotov6.SchemaObject{}
		switch a.NestedType.NestingMode {
		case "single":
			obj.Nesting = tfprotov6.SchemaObjectNestingModeSingle
		case "list":
			obj.Nesting = tfprotov6.SchemaObjectNestingModeList
		case "set":
			obj.Nesting = tfprotov6.SchemaObjectNestingModeSet
		case "map":
			obj.Nesting = tfprotov6.SchemaObjectNestingModeMap
		default:
			return nil, fmt.Errorf("attribute %s: nesting mode %q", name, a.NestedType.NestingMode)
		}
		for _, n := range sortedKeys(a.NestedType.Attributes) {
			na, err := convertAttribute(n, a.NestedType.Attributes[n])
			if err != nil {
				return nil, fmt.Errorf("attribute %s: %w", name, err)
			}
			obj.Attributes = append(obj.Attributes, na)
		}
		out.NestedType = obj
	case len(a.Type) > 0:
		t, err := tftypes.ParseJSONType(a.Type) //nolint:staticcheck // the schema document's own encoding
		if err != nil {
			return nil, fmt.Errorf("attribute %s: type %s: %w", name, a.Type, err)
		}
		out.Type = t
	default:
		return nil, fmt.Errorf("attribute %s: neither type nor nested_type", name)
	}
	return out, nil
}

func blockNesting(m string) (tfprotov6.SchemaNestedBlockNestingMode, error) {
	switch m {
	case "single":
		return tfprotov6.SchemaNestedBlockNestingModeSingle, nil
	case "list":
		return tfprotov6.SchemaNestedBlockNestingModeList, nil
	case "set":
		return tfprotov6.SchemaNestedBlockNestingModeSet, nil
	case "map":
		return tfprotov6.SchemaNestedBlockNestingModeMap, nil
	case "group":
		return tfprotov6.SchemaNestedBlockNestingModeGroup, nil
	}
	return tfprotov6.SchemaNestedBlockNestingModeInvalid, fmt.Errorf("nesting mode %q", m)
}

func convertFunction(f functionDoc) (*tfprotov6.Function, error) {
	param := func(p parameterDoc) (*tfprotov6.FunctionParameter, error) {
		t, err := tftypes.ParseJSONType(p.Type) //nolint:staticcheck
		if err != nil {
			return nil, fmt.Errorf("parameter %s: %w", p.Name, err)
		}
		return &tfprotov6.FunctionParameter{Name: p.Name, Description: p.Description, AllowNullValue: p.IsNullable, Type: t}, nil
	}
	ret, err := tftypes.ParseJSONType(f.ReturnType) //nolint:staticcheck
	if err != nil {
		return nil, fmt.Errorf("return type: %w", err)
	}
	out := &tfprotov6.Function{
		Summary: f.Summary, Description: f.Description, DeprecationMessage: f.DeprecationMessage,
		Return: &tfprotov6.FunctionReturn{Type: ret},
	}
	for _, p := range f.Parameters {
		pp, err := param(p)
		if err != nil {
			return nil, err
		}
		out.Parameters = append(out.Parameters, pp)
	}
	if f.VariadicParameter != nil {
		pp, err := param(*f.VariadicParameter)
		if err != nil {
			return nil, err
		}
		out.VariadicParameter = pp
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
