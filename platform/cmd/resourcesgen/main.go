// Command resourcesgen prints docs/resources.md, made from `terraform-docs json` of each module
// and root under infra/ and the environments' variable files (platform/docs.GenerateResources).
// tools/terraform/check.sh runs it with the pinned terraform-docs: `make test-infra` diffs its
// output against the committed file, `make docs` writes it.
//
//	go run ./cmd/resourcesgen -root .. -terraform-docs PATH > ../docs/resources.md
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"

	"github.com/orderstack/orderstack/platform/docs"
)

func main() {
	root := flag.String("root", ".", "repository root")
	tfdocs := flag.String("terraform-docs", "terraform-docs", "terraform-docs binary (make builds the pinned one)")
	flag.Parse()
	md, err := docs.GenerateResources(*root, func(dir string) ([]byte, error) {
		cmd := exec.Command(*tfdocs, "json", dir)
		cmd.Stderr = os.Stderr
		return cmd.Output()
	})
	if err == nil {
		_, err = os.Stdout.Write(md)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "resourcesgen:", err)
		os.Exit(1)
	}
}
