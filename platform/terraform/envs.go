package terraform

import (
	"fmt"
	"path"
	"regexp"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// versionPin names the stack arguments one environment may set alone: pinned versions, which
// the stack defaults and dev overrides while it tries an upgrade first.
var versionPin = regexp.MustCompile(`version|_versions$|image_tag$`)

// sharedRootFiles are the files every environment root holds byte for byte.
var sharedRootFiles = []string{"terraform.tf", "providers.tf", "variables.tf", "outputs.tf"}

// CheckEnvRoots: the environment roots are thin and alike. They hold the same .tf files, of
// which terraform.tf, providers.tf, variables.tf and outputs.tf are identical; besides
// terraform, provider, variable and output blocks there is exactly one
// block, main.tf's module "stack" calling stackDir; each of its arguments is either var.<same
// name> or a constant (the environment's choice), every root variable is passed that way,
// environment is the folder's name, and every root sets the same arguments except version pins;
// outputs are module.stack.<same name>.
func CheckEnvRoots(files []File, envRoots []string, stackDir string) []string {
	var out []string
	fileSets := map[string]string{}
	shared := map[string]string{} // file name -> content of the first root that has it
	args := map[string]map[string]bool{}
	for _, env := range envRoots {
		mod := InDir(files, env)
		var names []string
		for _, f := range mod {
			names = append(names, path.Base(f.Path))
		}
		sort.Strings(names)
		fileSets[env] = fmt.Sprint(names)
		if first := fileSets[envRoots[0]]; fileSets[env] != first {
			out = append(out, fmt.Sprintf("%s: .tf files %s, %s has %s", env, fileSets[env], envRoots[0], first))
		}
		for _, f := range mod {
			name := path.Base(f.Path)
			for _, s := range sharedRootFiles {
				if name != s {
					continue
				}
				if want, ok := shared[name]; !ok {
					shared[name] = string(f.Src)
				} else if string(f.Src) != want {
					out = append(out, fmt.Sprintf("%s differs from %s/%s; the roots share it byte for byte", f.Path, envRoots[0], name))
				}
			}
			for _, b := range f.Body.Blocks {
				switch b.Type {
				case "terraform", "provider", "variable", "output":
				case "module":
					if len(b.Labels) == 1 && b.Labels[0] == "stack" && name == "main.tf" {
						continue
					}
					fallthrough
				default:
					out = append(out, fmt.Sprintf("%s:%d: %s block in an environment root; it belongs in %s", f.Path, b.DefRange().Start.Line, b.Type, stackDir))
				}
			}
		}
		calls := Blocks(mod, "module", "stack")
		if len(calls) != 1 {
			out = append(out, fmt.Sprintf("%s: %d module \"stack\" calls, want 1", env, len(calls)))
			continue
		}
		call := calls[0]
		if src, _ := LiteralString(call.Body, "source"); cleanJoin(env, src) != stackDir {
			out = append(out, fmt.Sprintf("%s module \"stack\": source %q is not %s", call.Where(), src, stackDir))
		}
		args[env] = map[string]bool{}
		for name, a := range call.Body.Attributes {
			if name == "source" {
				continue
			}
			args[env][name] = true
			if moduleMeta[name] {
				out = append(out, fmt.Sprintf("%s module \"stack\": %s; an environment differs only in arguments", call.Where(), name))
				continue
			}
			if len(a.Expr.Variables()) > 0 && !isVarRef(a.Expr, name) {
				out = append(out, fmt.Sprintf("%s:%d: %s = %s is neither a constant nor var.%s", call.File.Path, a.SrcRange.Start.Line, name, call.File.Text(a.Expr.Range()), name))
			}
		}
		if e, ok := LiteralString(call.Body, "environment"); !ok || e != path.Base(env) {
			out = append(out, fmt.Sprintf("%s module \"stack\": environment = %q, want %q", call.Where(), e, path.Base(env)))
		}
		for _, v := range Blocks(mod, "variable", "") {
			if a, ok := call.Body.Attributes[v.Labels[0]]; !ok || !isVarRef(a.Expr, v.Labels[0]) {
				out = append(out, fmt.Sprintf("%s variable %q is not passed to the stack as %s = var.%s", v.Where(), v.Labels[0], v.Labels[0], v.Labels[0]))
			}
		}
		for _, o := range Blocks(mod, "output", "") {
			var st *hclsyntax.ScopeTraversalExpr
			if v := o.Body.Attributes["value"]; v != nil {
				st, _ = v.Expr.(*hclsyntax.ScopeTraversalExpr)
			}
			if st == nil || !isTraversal(st.Traversal, "module", "stack", o.Labels[0]) {
				out = append(out, fmt.Sprintf("%s output %q: value is not module.stack.%s", o.Where(), o.Labels[0], o.Labels[0]))
			}
		}
	}
	all := map[string]bool{}
	for _, a := range args {
		for name := range a {
			all[name] = true
		}
	}
	for _, name := range sortedNames(all) {
		for _, env := range envRoots {
			if a, ok := args[env]; ok && !a[name] && !versionPin.MatchString(name) {
				out = append(out, fmt.Sprintf("%s/main.tf: module \"stack\" does not set %s, another environment does; state every choice in each root", env, name))
			}
		}
	}
	sort.Strings(out)
	return out
}

// isTraversal reports whether tr is exactly the attribute steps names.
func isTraversal(tr hcl.Traversal, names ...string) bool {
	if len(tr) != len(names) || tr.RootName() != names[0] {
		return false
	}
	for i, step := range tr[1:] {
		a, ok := step.(hcl.TraverseAttr)
		if !ok || a.Name != names[i+1] {
			return false
		}
	}
	return true
}

func sortedNames(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
