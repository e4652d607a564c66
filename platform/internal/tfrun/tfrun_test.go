package tfrun

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestConsole: terraform console evaluates a module that requires a provider, on the schema
// stand-in alone (Offline), with the given variables.
func TestConsole(t *testing.T) {
	dir := t.TempDir()
	main := `terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}
variable "name" { type = string }
locals { tags = { Name = upper(var.name) } }
`
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := Console(dir, `name = "orders"`, `local.tags.Name`)
	if errors.Is(err, ErrNoTerraform) {
		t.Skip("TERRAFORM and TFSCHEMA are not set: run make test-infra, which builds both")
	}
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `"ORDERS"` {
		t.Errorf("console printed %s, want \"ORDERS\"", out)
	}
}
