package terraform

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// File is one parsed .tf file.
type File struct {
	Path string // slash path relative to the infra directory, e.g. modules/eks/main.tf
	Src  []byte
	Body *hclsyntax.Body
}

// Dir returns the module directory of the file, relative to the infra directory.
func (f File) Dir() string { return filepathDir(f.Path) }

func filepathDir(p string) string {
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[:i]
	}
	return "."
}

// Parse parses one HCL file's bytes; name is used in diagnostics.
func Parse(name string, src []byte) (File, error) {
	file, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
	if diags.HasErrors() {
		return File{}, fmt.Errorf("parse %s: %s", name, diags.Error())
	}
	return File{Path: name, Src: src, Body: file.Body.(*hclsyntax.Body)}, nil
}

// Load parses every .tf file under root (the infra directory), skipping .terraform folders.
func Load(root string) ([]File, error) {
	var files []File
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".terraform" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(d.Name(), ".tf") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		f, err := Parse(filepath.ToSlash(rel), src)
		if err != nil {
			return err
		}
		files = append(files, f)
		return nil
	})
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, err
}

// Block is a block with the file it came from.
type Block struct {
	File File
	*hclsyntax.Block
}

// Name returns "type.label1.label2".
func (b Block) Name() string { return strings.Join(append([]string{b.Type}, b.Labels...), ".") }

// Where is "path:line" of the block, for messages.
func (b Block) Where() string { return fmt.Sprintf("%s:%d", b.File.Path, b.DefRange().Start.Line) }

// Blocks returns the top-level blocks of the given type (and first label, if not empty) of all files.
func Blocks(files []File, typ, label string) []Block {
	var out []Block
	for _, f := range files {
		for _, b := range f.Body.Blocks {
			if b.Type == typ && (label == "" || (len(b.Labels) > 0 && b.Labels[0] == label)) {
				out = append(out, Block{File: f, Block: b})
			}
		}
	}
	return out
}

// InDir keeps the files of one module directory.
func InDir(files []File, dir string) []File {
	var out []File
	for _, f := range files {
		if f.Dir() == dir {
			out = append(out, f)
		}
	}
	return out
}

// Child returns the nested blocks of a type.
func Child(b *hclsyntax.Block, typ string) []*hclsyntax.Block {
	var out []*hclsyntax.Block
	for _, c := range b.Body.Blocks {
		if c.Type == typ {
			out = append(out, c)
		}
	}
	return out
}

// Literal evaluates an attribute that holds a constant (no references, no functions).
func Literal(body *hclsyntax.Body, name string) (cty.Value, bool) {
	a, ok := body.Attributes[name]
	if !ok {
		return cty.NilVal, false
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		return cty.NilVal, false
	}
	return v, true
}

// LiteralString returns a constant string attribute.
func LiteralString(body *hclsyntax.Body, name string) (string, bool) {
	v, ok := Literal(body, name)
	if !ok || v.IsNull() || !v.Type().Equals(cty.String) {
		return "", false
	}
	return v.AsString(), true
}

// LiteralBool returns a constant bool attribute.
func LiteralBool(body *hclsyntax.Body, name string) (bool, bool) {
	v, ok := Literal(body, name)
	if !ok || v.IsNull() || !v.Type().Equals(cty.Bool) {
		return false, false
	}
	return v.True(), true
}

// Refs returns the references of an expression as "root.attr" strings, e.g. "var.name",
// "local.tags", "aws_subnet.private", "module.network.vpc_id" (first two or three steps).
func Refs(expr hclsyntax.Expression) []string {
	var out []string
	for _, t := range expr.Variables() {
		parts := []string{t.RootName()}
		for _, step := range t[1:] {
			a, ok := step.(hcl.TraverseAttr)
			if !ok {
				break
			}
			parts = append(parts, a.Name)
			if len(parts) == 3 {
				break
			}
		}
		out = append(out, strings.Join(parts, "."))
	}
	return out
}

// RefersTo reports whether expr references ref ("aws_s3_bucket.this") or an attribute of it.
func RefersTo(expr hclsyntax.Expression, ref string) bool {
	for _, r := range Refs(expr) {
		if r == ref || strings.HasPrefix(r, ref+".") {
			return true
		}
	}
	return false
}
