// Command kubectlmain is kubectl built from the platform module's k8s.io/kubectl, so that the
// e2e test of scripts/mongodb-secret.sh runs the real client without assuming one is installed.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubectl/pkg/cmd"
)

func main() {
	os.Exit(cli.Run(cmd.NewDefaultKubectlCommand()))
}
