// Package workflows checks the GitHub Actions workflows (.github/workflows) and the deploy
// scripts (scripts/) offline: actionlint on every workflow, the repository's rules (Rego in
// policy/, run by conftest), the CI roles' trust and permissions against Terraform, and the
// scripts' behaviour with fake tools on PATH.
package workflows

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nektos/act/pkg/model"
	"github.com/rhysd/actionlint"
)

// awsCredentialsAction is the action that exchanges a job's OIDC token for an AWS role.
const awsCredentialsAction = "aws-actions/configure-aws-credentials"

// File is one parsed workflow.
type File struct {
	Path     string // absolute
	Name     string // file name, e.g. ci.yml
	Source   []byte
	Workflow *actionlint.Workflow
	Act      *model.Workflow // the same, as act reads it (its matrix expansion)
}

// Load parses every workflow (*.yml, *.yaml) under root/.github/workflows, sorted.
func Load(root string) ([]File, error) {
	paths, _ := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.y*ml"))
	if len(paths) == 0 {
		return nil, fmt.Errorf("no workflows in %s/.github/workflows", root)
	}
	files := make([]File, len(paths))
	for i, p := range paths {
		src, err := os.ReadFile(p)
		if err == nil {
			files[i], err = Parse(p, src)
		}
		if err != nil {
			return nil, err
		}
	}
	return files, nil
}

// Parse parses one workflow's source; path names it.
func Parse(path string, src []byte) (File, error) {
	wf, errs := actionlint.Parse(src)
	if len(errs) > 0 {
		return File{}, fmt.Errorf("parse %s: %v", path, errs[0])
	}
	act, err := model.ReadWorkflow(bytes.NewReader(src), false)
	if err != nil {
		return File{}, fmt.Errorf("parse %s: %w", path, err)
	}
	return File{Path: path, Name: filepath.Base(path), Source: src, Workflow: wf, Act: act}, nil
}
