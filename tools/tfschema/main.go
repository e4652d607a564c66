// Command tfschema is a Terraform provider that knows only its schema. Started as
// terraform-provider-<name> (a link named so), it serves the schema of
// registry.terraform.io/hashicorp/<name> from schemas.json.xz, the output of `terraform providers
// schema -json` for the providers orderstack uses (embedded; see README.md), and accepts every
// configuration. That is all `terraform validate` needs from a provider, and all
// `terraform test` needs under a mock_provider block: name, type, required-argument and reference
// errors are Terraform's own checks against the schema. Plans mark computed attributes unknown;
// applying, importing and reading real objects are refused.
package main

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
)

//go:embed schemas.json.xz
var schemasXZ []byte

func main() {
	if err := run(os.Args[0]); err != nil {
		fmt.Fprintln(os.Stderr, "tfschema:", err)
		os.Exit(1)
	}
}

// providerName turns ".../terraform-provider-aws" or "terraform-provider-aws_v6.14.0" into "aws".
func providerName(argv0 string) (string, error) {
	base := filepath.Base(argv0)
	name, ok := strings.CutPrefix(base, "terraform-provider-")
	if !ok || name == "" {
		return "", fmt.Errorf("started as %q: run me through a link named terraform-provider-<name>", base)
	}
	name, _, _ = strings.Cut(name, "_")
	return name, nil
}

func run(argv0 string) error {
	name, err := providerName(argv0)
	if err != nil {
		return err
	}
	addr := "registry.terraform.io/hashicorp/" + name
	schema, err := loadProvider(bytes.NewReader(schemasXZ), addr)
	if err != nil {
		return err
	}
	return tf6server.Serve(addr, func() tfprotov6.ProviderServer { return &server{schema: schema} })
}
