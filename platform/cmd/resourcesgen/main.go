// Command resourcesgen writes docs/resources.md from the Terraform under
// infra/ and the charts under deploy/. `make docs` runs it; the docs test
// (platform/docs) fails when the committed file differs from its output.
//
//	go run ./cmd/resourcesgen -root .. -out ../docs/resources.md
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

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
	out := fs.String("out", "", "file to write; empty writes to stdout")
	if err := fs.Parse(args); err != nil {
		return err
	}
	md, err := docs.GenerateResources(*root)
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
