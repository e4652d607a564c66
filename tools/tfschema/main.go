// Command tfschema is a Terraform provider that knows only its schema. Started as
// terraform-provider-<name> (a link named so), it serves the schema of
// registry.terraform.io/hashicorp/<name> from schemas/<name>.json.xz, the output of `terraform
// providers schema -json` for a configuration that uses only that provider, one file per provider
// orderstack uses (embedded; docs/infra.md), and accepts every configuration. That is all
// `terraform validate` needs from a provider, and all `terraform test` needs under a
// mock_provider block (Terraform's providers.Mock plans, applies and reads itself): name, type,
// required-argument and reference errors are Terraform's own checks against the schema.
// Planning, applying, importing and reading real objects are refused.
package main

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
)

// schemaFiles holds schemas/<name>.json.xz per provider: a provider process decompresses and
// decodes only its own (helm's is 24 KB of JSON, aws's 14 MB).
//
//go:embed schemas/*.json.xz
var schemaFiles embed.FS

func main() {
	if err := run(os.Args[0]); err != nil {
		fmt.Fprintln(os.Stderr, "tfschema:", err)
		os.Exit(1)
	}
}

// providerName turns ".../terraform-provider-aws" or "terraform-provider-aws_v6.14.0" into "aws".
func providerName(argv0 string) (string, error) {
	name, ok := strings.CutPrefix(filepath.Base(argv0), "terraform-provider-")
	if name, _, _ = strings.Cut(name, "_"); !ok || name == "" {
		return "", fmt.Errorf("started as %q: run me through a link named terraform-provider-<name>", filepath.Base(argv0))
	}
	return name, nil
}

func run(argv0 string) error {
	name, err := providerName(argv0)
	if err != nil {
		return err
	}
	addr, file := "registry.terraform.io/hashicorp/"+name, "schemas/"+name+".json.xz"
	if _, err := fs.Stat(schemaFiles, file); err != nil {
		have, _ := fs.Glob(schemaFiles, "schemas/*.json.xz")
		return fmt.Errorf("no schema for provider %s (%v; have %v)", addr, err, have)
	}
	// The schema is read when terraform first asks for it, not at start: the schema declares
	// GetProviderSchemaOptional, so terraform keeps it in its process-wide cache
	// (internal/providers/schema_cache.go) and does not ask the second process it starts per
	// provider and command (internal/plugin6/grpc_provider.go, GetProviderSchema); that one only
	// validates, which needs no schema here.
	schema := sync.OnceValues(func() (*tfprotov6.GetProviderSchemaResponse, error) {
		// Loading is one burst of allocation (aws: 213 MB, of which 24 MB stay), so the
		// collector is off meanwhile, with a 1 GiB ceiling, and on again once the schema stands.
		defer debug.SetGCPercent(debug.SetGCPercent(-1))
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(1 << 30))
		b, err := readSchema(name)
		if err != nil {
			return nil, err
		}
		return loadProvider(b, addr)
	})
	return tf6server.Serve(addr, func() tfprotov6.ProviderServer { return &server{schema: schema} })
}

// server answers the provider protocol from a schema alone. The calls it does not implement
// (plan, apply, read, import, upgrade, move, ephemeral resources, functions) need the real
// provider: the embedded nil interface makes each fail, and terraform reports the failed call.
// Terraform 1.13 takes the metadata and functions from GetProviderSchema.
type server struct {
	tfprotov6.ProviderServer
	schema func() (*tfprotov6.GetProviderSchemaResponse, error)
}

func (s *server) GetProviderSchema(context.Context, *tfprotov6.GetProviderSchemaRequest) (*tfprotov6.GetProviderSchemaResponse, error) {
	return s.schema()
}

func (s *server) GetResourceIdentitySchemas(context.Context, *tfprotov6.GetResourceIdentitySchemasRequest) (*tfprotov6.GetResourceIdentitySchemasResponse, error) {
	return &tfprotov6.GetResourceIdentitySchemasResponse{IdentitySchemas: map[string]*tfprotov6.ResourceIdentitySchema{}}, nil
}

func (s *server) ValidateProviderConfig(_ context.Context, req *tfprotov6.ValidateProviderConfigRequest) (*tfprotov6.ValidateProviderConfigResponse, error) {
	return &tfprotov6.ValidateProviderConfigResponse{PreparedConfig: req.Config}, nil
}

func (s *server) StopProvider(context.Context, *tfprotov6.StopProviderRequest) (*tfprotov6.StopProviderResponse, error) {
	return &tfprotov6.StopProviderResponse{}, nil
}

func (s *server) ValidateResourceConfig(context.Context, *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	return &tfprotov6.ValidateResourceConfigResponse{}, nil
}

func (s *server) ValidateDataResourceConfig(context.Context, *tfprotov6.ValidateDataResourceConfigRequest) (*tfprotov6.ValidateDataResourceConfigResponse, error) {
	return &tfprotov6.ValidateDataResourceConfigResponse{}, nil
}
