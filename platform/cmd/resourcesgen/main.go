// Command resourcesgen writes docs/resources.md from `terraform-docs json` of each module and
// root under infra/ and the environments' variable files. `make docs` runs it with the pinned
// terraform-docs; `make test-infra` fails when the committed file differs from its output.
//
//	go run ./cmd/resourcesgen -root .. -terraform-docs PATH -out ../docs/resources.md
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"

	"github.com/orderstack/orderstack/platform/docs"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "resourcesgen:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("resourcesgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	root := fs.String("root", ".", "repository root")
	tfdocs := fs.String("terraform-docs", "terraform-docs", "terraform-docs binary (make builds the pinned one)")
	out := fs.String("out", "", "file to write; empty writes to stdout")
	if err := fs.Parse(args); err != nil {
		return err
	}
	md, err := docs.GenerateResources(*root, func(dir string) ([]byte, error) {
		cmd := exec.Command(*tfdocs, "json", dir)
		cmd.Stderr = stderr
		return cmd.Output()
	})
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = stdout.Write(md)
		return err
	}
	if err := os.WriteFile(*out, md, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes)\n", *out, len(md))
	return nil
}
