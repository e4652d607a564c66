// Command tffmt formats Terraform files (.tf, .tfvars) under a directory with hclwrite.Format,
// the formatter `terraform fmt` is built on, so formatting needs no terraform binary.
//
//	tffmt -check infra   # list unformatted files, exit 1 if any
//	tffmt infra          # rewrite them
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "tffmt:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	flags := flag.NewFlagSet("tffmt", flag.ContinueOnError)
	check := flags.Bool("check", false, "only list files that are not formatted; fail if any")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() != 1 {
		return fmt.Errorf("usage: tffmt [-check] DIR")
	}
	var unformatted []string
	err := filepath.WalkDir(flags.Arg(0), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".terraform" {
			return filepath.SkipDir
		}
		if d.IsDir() || !(strings.HasSuffix(path, ".tf") || strings.HasSuffix(path, ".tfvars")) {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if _, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos); diags.HasErrors() {
			return fmt.Errorf("%s", diags.Error())
		}
		formatted := hclwrite.Format(src)
		if bytes.Equal(src, formatted) {
			return nil
		}
		unformatted = append(unformatted, path)
		fmt.Fprintln(stdout, path)
		if *check {
			return nil
		}
		return os.WriteFile(path, formatted, 0o644)
	})
	if err != nil {
		return err
	}
	if *check && len(unformatted) > 0 {
		return fmt.Errorf("%d file(s) not formatted: run make tf-fmt", len(unformatted))
	}
	return nil
}
