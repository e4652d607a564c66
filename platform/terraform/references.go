package terraform

import (
	"fmt"
	"regexp"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

var (
	resourceType = regexp.MustCompile(`^(aws|helm|kubernetes|random|tls)_[a-z0-9_]+$`)
	moduleMeta   = map[string]bool{"source": true, "version": true, "depends_on": true, "providers": true, "count": true, "for_each": true}
)

// CheckReferences does the part of `terraform validate` that needs no provider schema: every
// var.*, local.*, data.*, module.*.* and resource reference of a module resolves to a declaration;
// every module call sets only variables the module declares and all that have no default.
func CheckReferences(files []File) []string {
	var out []string
	for _, dir := range Dirs(files) {
		mod := InDir(files, dir)
		declared := map[string]bool{}
		for _, f := range mod {
			for _, b := range f.Body.Blocks {
				switch b.Type {
				case "variable":
					declared["var."+b.Labels[0]] = true
				case "resource":
					declared[b.Labels[0]+"."+b.Labels[1]] = true
				case "data":
					declared["data."+b.Labels[0]+"."+b.Labels[1]] = true
				case "module":
					declared["module."+b.Labels[0]] = true
				case "locals":
					for name := range b.Body.Attributes {
						declared["local."+name] = true
					}
				}
			}
		}
		for _, f := range mod {
			visit := func(n hclsyntax.Node) hcl.Diagnostics {
				attr, ok := n.(*hclsyntax.Attribute)
				if !ok {
					return nil
				}
				for _, tr := range hclsyntax.Variables(attr.Expr) {
					out = append(out, checkTraversal(files, dir, f, tr, declared)...)
				}
				return nil
			}
			for _, a := range f.Body.Attributes {
				hclsyntax.VisitAll(a, visit)
			}
			for _, b := range f.Body.Blocks {
				if b.Type == "moved" || b.Type == "removed" {
					continue // state addresses, not references; CheckEnvRoots checks moved
				}
				hclsyntax.VisitAll(b, visit)
			}
		}
		for _, m := range Blocks(mod, "module", "") {
			src, _ := LiteralString(m.Body, "source")
			target := cleanJoin(dir, src)
			tmod := InDir(files, target)
			if len(tmod) == 0 {
				out = append(out, fmt.Sprintf("%s module %q: no .tf files in %s", m.Where(), m.Labels[0], target))
				continue
			}
			vars := map[string]bool{}
			for _, v := range Blocks(tmod, "variable", "") {
				vars[v.Labels[0]] = true
				if _, hasDefault := v.Body.Attributes["default"]; !hasDefault {
					if _, set := m.Body.Attributes[v.Labels[0]]; !set {
						out = append(out, fmt.Sprintf("%s module %q: required variable %q of %s not set", m.Where(), m.Labels[0], v.Labels[0], target))
					}
				}
			}
			for name := range m.Body.Attributes {
				if !moduleMeta[name] && !vars[name] {
					out = append(out, fmt.Sprintf("%s module %q: %s declares no variable %q", m.Where(), m.Labels[0], target, name))
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

func checkTraversal(files []File, dir string, f File, tr hcl.Traversal, declared map[string]bool) []string {
	names := []string{tr.RootName()}
	for _, step := range tr[1:] {
		a, ok := step.(hcl.TraverseAttr)
		if !ok {
			break
		}
		names = append(names, a.Name)
	}
	where := fmt.Sprintf("%s:%d", f.Path, tr.SourceRange().Start.Line)
	key := func(n int) string {
		if len(names) < n {
			return ""
		}
		s := names[0]
		for _, p := range names[1:n] {
			s += "." + p
		}
		return s
	}
	switch root := names[0]; {
	case root == "var" || root == "local":
		if k := key(2); k != "" && !declared[k] {
			return []string{fmt.Sprintf("%s: %s is not declared", where, k)}
		}
	case root == "data":
		if k := key(3); k != "" && !declared[k] {
			return []string{fmt.Sprintf("%s: %s is not declared", where, k)}
		}
	case root == "module":
		k := key(2)
		if k == "" {
			return nil
		}
		if !declared[k] {
			return []string{fmt.Sprintf("%s: %s is not declared", where, k)}
		}
		if len(names) < 3 {
			return nil
		}
		for _, m := range Blocks(InDir(files, dir), "module", names[1]) {
			src, _ := LiteralString(m.Body, "source")
			if len(Blocks(InDir(files, cleanJoin(dir, src)), "output", names[2])) == 0 {
				return []string{fmt.Sprintf("%s: module %q (%s) has no output %q", where, names[1], src, names[2])}
			}
		}
	case resourceType.MatchString(root):
		if k := key(2); k != "" && !declared[k] {
			return []string{fmt.Sprintf("%s: resource %s is not declared", where, k)}
		}
	}
	return nil
}
