package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/ulikunitz/xz"
)

// The parts of `terraform providers schema -json` (format 1.0) that the protocol carries and
// terraform validates against; descriptions are left out.
type schemaDoc struct {
	Version int64     `json:"version"`
	Block   *blockDoc `json:"block"`
}

type blockDoc struct {
	Attributes map[string]*attributeDoc `json:"attributes"`
	BlockTypes map[string]*struct {
		NestingMode string    `json:"nesting_mode"`
		Block       *blockDoc `json:"block"`
		MinItems    int64     `json:"min_items"`
		MaxItems    int64     `json:"max_items"`
	} `json:"block_types"`
	Deprecated bool `json:"deprecated"`
}

type attributeDoc struct {
	Type       json.RawMessage `json:"type"`
	NestedType *struct {
		Attributes  map[string]*attributeDoc `json:"attributes"`
		NestingMode string                   `json:"nesting_mode"`
	} `json:"nested_type"`
	Required, Optional, Computed, Sensitive, Deprecated bool
	WriteOnly                                           bool `json:"write_only"`
}

type parameterDoc struct {
	Name       string          `json:"name"`
	IsNullable bool            `json:"is_nullable"`
	Type       json.RawMessage `json:"type"`
}

// providerDoc is one provider's part of the document.
type providerDoc struct {
	Provider           *schemaDoc            `json:"provider"`
	Resources          map[string]*schemaDoc `json:"resource_schemas"`
	DataSources        map[string]*schemaDoc `json:"data_source_schemas"`
	EphemeralResources map[string]*schemaDoc `json:"ephemeral_resource_schemas"`
	Functions          map[string]*struct {
		ReturnType        json.RawMessage `json:"return_type"`
		Parameters        []*parameterDoc `json:"parameters"`
		VariadicParameter *parameterDoc   `json:"variadic_parameter"`
	} `json:"functions"`
}

// readSchema returns the decompressed schemas/<name>.json.xz.
func readSchema(name string) ([]byte, error) {
	f, err := schemaFiles.Open("schemas/" + name + ".json.xz")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	xr, err := xz.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("read xz: %w", err)
	}
	return io.ReadAll(xr)
}

// loadProvider reads a schemas document that holds the provider at addr
// (registry.terraform.io/hashicorp/aws) and converts its schemas into the protocol's response.
func loadProvider(b []byte, addr string) (*tfprotov6.GetProviderSchemaResponse, error) {
	var doc struct {
		FormatVersion   string                  `json:"format_version"`
		ProviderSchemas map[string]*providerDoc `json:"provider_schemas"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("decode %s: %w", addr, err)
	}
	p := doc.ProviderSchemas[addr]
	if doc.FormatVersion != "1.0" || p == nil {
		return nil, fmt.Errorf("no schema for provider %s in format 1.0 (the file has format %q, providers %v)", addr, doc.FormatVersion, slices.Sorted(maps.Keys(doc.ProviderSchemas)))
	}
	c := &converter{types: map[string]tftypes.Type{}}
	out := &tfprotov6.GetProviderSchemaResponse{
		ServerCapabilities:       &tfprotov6.ServerCapabilities{PlanDestroy: true, GetProviderSchemaOptional: true},
		Provider:                 c.schema(p.Provider),
		ResourceSchemas:          c.schemas(p.Resources),
		DataSourceSchemas:        c.schemas(p.DataSources),
		EphemeralResourceSchemas: c.schemas(p.EphemeralResources),
		Functions:                map[string]*tfprotov6.Function{},
	}
	for name, f := range p.Functions {
		fn := &tfprotov6.Function{Return: &tfprotov6.FunctionReturn{Type: c.typ(f.ReturnType)}}
		for _, p := range f.Parameters {
			fn.Parameters = append(fn.Parameters, c.param(p))
		}
		if f.VariadicParameter != nil {
			fn.VariadicParameter = c.param(f.VariadicParameter)
		}
		out.Functions[name] = fn
	}
	return out, c.err
}

// converter turns schema documents into protocol schemas, keeping the first error. A type is
// parsed once per spelling (aws: 530 distinct types of 88,716 attributes), and
// a parsed type is only read afterwards (terraform-plugin-go marshals it back to JSON).
type converter struct {
	err   error
	types map[string]tftypes.Type
}

func (c *converter) typ(raw json.RawMessage) tftypes.Type {
	if t, ok := c.types[string(raw)]; ok {
		return t
	}
	t, err := tftypes.ParseJSONType(raw) //nolint:staticcheck // the schema document's own encoding
	if err != nil && c.err == nil {
		c.err = fmt.Errorf("type %s: %w", raw, err)
	}
	c.types[string(raw)] = t
	return t
}

func (c *converter) param(p *parameterDoc) *tfprotov6.FunctionParameter {
	return &tfprotov6.FunctionParameter{Name: p.Name, AllowNullValue: p.IsNullable, Type: c.typ(p.Type)}
}

func (c *converter) schemas(in map[string]*schemaDoc) map[string]*tfprotov6.Schema {
	out := map[string]*tfprotov6.Schema{}
	for name, s := range in {
		out[name] = c.schema(s)
	}
	return out
}

func (c *converter) schema(s *schemaDoc) *tfprotov6.Schema {
	if s == nil {
		s = &schemaDoc{}
	}
	return &tfprotov6.Schema{Version: s.Version, Block: c.block(s.Block)}
}

// Nesting modes by their name in the document; the protocol's enums of blocks and of nested
// attribute objects share the names.
var (
	blockNesting = map[string]tfprotov6.SchemaNestedBlockNestingMode{
		"single": tfprotov6.SchemaNestedBlockNestingModeSingle, "list": tfprotov6.SchemaNestedBlockNestingModeList,
		"set": tfprotov6.SchemaNestedBlockNestingModeSet, "map": tfprotov6.SchemaNestedBlockNestingModeMap,
		"group": tfprotov6.SchemaNestedBlockNestingModeGroup,
	}
	objectNesting = map[string]tfprotov6.SchemaObjectNestingMode{
		"single": tfprotov6.SchemaObjectNestingModeSingle, "list": tfprotov6.SchemaObjectNestingModeList,
		"set": tfprotov6.SchemaObjectNestingModeSet, "map": tfprotov6.SchemaObjectNestingModeMap,
	}
)

func (c *converter) block(b *blockDoc) *tfprotov6.SchemaBlock {
	if b == nil {
		b = &blockDoc{}
	}
	out := &tfprotov6.SchemaBlock{Deprecated: b.Deprecated, Attributes: c.attributes(b.Attributes)}
	for _, name := range slices.Sorted(maps.Keys(b.BlockTypes)) {
		bt := b.BlockTypes[name]
		mode, ok := blockNesting[bt.NestingMode]
		if !ok && c.err == nil {
			c.err = fmt.Errorf("block %s: nesting mode %q", name, bt.NestingMode)
		}
		out.BlockTypes = append(out.BlockTypes, &tfprotov6.SchemaNestedBlock{
			TypeName: name, Block: c.block(bt.Block), Nesting: mode, MinItems: bt.MinItems, MaxItems: bt.MaxItems,
		})
	}
	return out
}

func (c *converter) attributes(in map[string]*attributeDoc) []*tfprotov6.SchemaAttribute {
	var out []*tfprotov6.SchemaAttribute
	for _, name := range slices.Sorted(maps.Keys(in)) {
		a := in[name]
		sa := &tfprotov6.SchemaAttribute{Name: name, Required: a.Required, Optional: a.Optional, Computed: a.Computed,
			Sensitive: a.Sensitive, Deprecated: a.Deprecated, WriteOnly: a.WriteOnly}
		switch mode, ok := objectNesting[""]; {
		case a.NestedType != nil:
			if mode, ok = objectNesting[a.NestedType.NestingMode]; !ok && c.err == nil {
				c.err = fmt.Errorf("attribute %s: nesting mode %q", name, a.NestedType.NestingMode)
			}
			sa.NestedType = &tfprotov6.SchemaObject{Nesting: mode, Attributes: c.attributes(a.NestedType.Attributes)}
		case len(a.Type) > 0:
			sa.Type = c.typ(a.Type)
		default:
			if c.err == nil {
				c.err = fmt.Errorf("attribute %s: neither type nor nested_type", name)
			}
		}
		out = append(out, sa)
	}
	return out
}
