package terraform

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// Each check takes parsed files and returns one line per problem; no problems means it holds.

// CheckFormatted reports files whose bytes differ from hclwrite.Format, the canonical layout
// `terraform fmt` writes.
func CheckFormatted(files []File) []string {
	var out []string
	for _, f := range files {
		if got := hclwrite.Format(f.Src); string(got) != string(f.Src) {
			out = append(out, fmt.Sprintf("%s: not canonically formatted (run make tf-fmt)", f.Path))
		}
	}
	return out
}

// CheckResourceComments reports resource blocks without a one-line "#" comment directly above
// them: the docs generator reads it as the resource's purpose.
func CheckResourceComments(files []File) []string {
	var out []string
	for _, r := range Blocks(files, "resource", "") {
		lines := strings.Split(string(r.File.Src), "\n")
		i := r.DefRange().Start.Line - 2 // the line above, 0-based
		if i < 0 || !strings.HasPrefix(strings.TrimSpace(lines[i]), "#") || len(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(lines[i]), "#"))) == 0 {
			out = append(out, fmt.Sprintf("%s %s: no # comment on the line above", r.Where(), r.Name()))
		}
	}
	return out
}

// domainVariable matches variable names whose values have a domain that needs a validation block.
var domainVariable = regexp.MustCompile(`(^|_)environment$|cidrs?$|version|email|(^|_)region$|image_tag$`)

// CheckVariables reports variables without type or description, and domain variables without validation.
func CheckVariables(files []File) []string {
	var out []string
	for _, v := range Blocks(files, "variable", "") {
		name := v.Labels[0]
		if _, ok := v.Body.Attributes["type"]; !ok {
			out = append(out, fmt.Sprintf("%s variable %q: no type", v.Where(), name))
		}
		if d, ok := LiteralString(v.Body, "description"); !ok || strings.TrimSpace(d) == "" {
			out = append(out, fmt.Sprintf("%s variable %q: no description", v.Where(), name))
		}
		if domainVariable.MatchString(name) && len(Child(v.Block, "validation")) == 0 && !validatedDownstream(files, v) {
			out = append(out, fmt.Sprintf("%s variable %q: has a domain but no validation", v.Where(), name))
		}
	}
	return out
}

// validatedDownstream reports whether variable v is handed unchanged ("name = var.name") to a
// module whose variable of that name has a validation block: Terraform checks it there, at plan.
func validatedDownstream(files []File, v Block) bool {
	for _, tv := range passedTo(files, v) {
		if len(Child(tv.Block, "validation")) > 0 {
			return true
		}
	}
	return false
}

// passedTo returns the variables of called modules that variable v is handed to unchanged
// ("name = var.name" in a module call of v's directory).
func passedTo(files []File, v Block) []Block {
	var out []Block
	name, dir := v.Labels[0], v.File.Dir()
	for _, m := range Blocks(InDir(files, dir), "module", "") {
		if a, ok := m.Body.Attributes[name]; ok && isVarRef(a.Expr, name) {
			src, _ := LiteralString(m.Body, "source")
			out = append(out, Blocks(InDir(files, cleanJoin(dir, src)), "variable", name)...)
		}
	}
	return out
}

// isVarRef reports whether expr is exactly var.<name>.
func isVarRef(expr hclsyntax.Expression, name string) bool {
	st, ok := expr.(*hclsyntax.ScopeTraversalExpr)
	if !ok || len(st.Traversal) != 2 || st.Traversal.RootName() != "var" {
		return false
	}
	a, ok := st.Traversal[1].(hcl.TraverseAttr)
	return ok && a.Name == name
}

var (
	secretName = regexp.MustCompile(`password|secret|token|credential|private_key`)
	// Resources whose attributes hold generated secrets.
	secretSource = regexp.MustCompile(`^(random_password|random_string|tls_private_key|kubernetes_secret(_v1)?|aws_iam_access_key|aws_secretsmanager_secret_version)\.`)
)

// CheckOutputs reports outputs without description, marked sensitive, referencing a secret-holding
// resource, or named like a secret (only "..._command" outputs, which print a command, may be).
func CheckOutputs(files []File) []string {
	var out []string
	for _, o := range Blocks(files, "output", "") {
		name := o.Labels[0]
		if d, ok := LiteralString(o.Body, "description"); !ok || strings.TrimSpace(d) == "" {
			out = append(out, fmt.Sprintf("%s output %q: no description", o.Where(), name))
		}
		if s, ok := LiteralBool(o.Body, "sensitive"); ok && s {
			out = append(out, fmt.Sprintf("%s output %q: sensitive outputs are not allowed (secrets never leave the cluster)", o.Where(), name))
		}
		if secretName.MatchString(name) && !strings.HasSuffix(name, "_command") {
			out = append(out, fmt.Sprintf("%s output %q: looks like a secret; output a command that reads it instead", o.Where(), name))
		}
		if v, ok := o.Body.Attributes["value"]; ok {
			for _, ref := range Refs(v.Expr) {
				if secretSource.MatchString(ref + ".") {
					out = append(out, fmt.Sprintf("%s output %q: references %s", o.Where(), name, ref))
				}
			}
		}
	}
	return out
}

var (
	pinnedVersion = regexp.MustCompile(`^(=\s*)?[0-9]+\.[0-9]+\.[0-9]+$|^~>\s*[0-9]+\.[0-9]+\.[0-9]+$`)
	// Terraform itself may also be a bounded range of patch versions, e.g. ">= 1.10.5, < 1.12.0".
	pinnedCore      = regexp.MustCompile(`^(=\s*)?[0-9]+\.[0-9]+\.[0-9]+$|^~>\s*[0-9]+\.[0-9]+\.[0-9]+$|^>=\s*[0-9]+\.[0-9]+\.[0-9]+,\s*<\s*[0-9]+\.[0-9]+\.[0-9]+$`)
	minimumVersion  = regexp.MustCompile(`^>=\s*[0-9]+\.[0-9]+(\.[0-9]+)?$`)
	providerSources = map[string]string{"aws": "hashicorp/aws", "helm": "hashicorp/helm", "kubernetes": "hashicorp/kubernetes", "random": "hashicorp/random", "tls": "hashicorp/tls"}
)

// RequiredProviders returns name -> (source, version) of a module directory's terraform block.
func RequiredProviders(files []File) (requiredVersion string, providers map[string][2]string) {
	providers = map[string][2]string{}
	for _, t := range Blocks(files, "terraform", "") {
		if v, ok := LiteralString(t.Body, "required_version"); ok {
			requiredVersion = v
		}
		for _, rp := range Child(t.Block, "required_providers") {
			for name, a := range rp.Body.Attributes {
				v, diags := a.Expr.Value(nil)
				if diags.HasErrors() || !v.Type().IsObjectType() {
					providers[name] = [2]string{}
					continue
				}
				var src, ver string
				if v.Type().HasAttribute("source") {
					src = v.GetAttr("source").AsString()
				}
				if v.Type().HasAttribute("version") {
					ver = v.GetAttr("version").AsString()
				}
				providers[name] = [2]string{src, ver}
			}
		}
	}
	return requiredVersion, providers
}

// CheckVersions: roots pin Terraform and every provider (exact or "~> x.y.z"); modules declare a
// minimum ">= x.y" for every provider whose resources or data sources they use.
func CheckVersions(files []File, roots []string) []string {
	var out []string
	for _, dir := range Dirs(files) {
		mod := InDir(files, dir)
		isRoot := slices.Contains(roots, dir)
		reqVer, provs := RequiredProviders(mod)
		want, wantCore := minimumVersion, minimumVersion
		if isRoot {
			want, wantCore = pinnedVersion, pinnedCore
		}
		if !wantCore.MatchString(reqVer) {
			out = append(out, fmt.Sprintf("%s: required_version %q does not match %s", dir, reqVer, wantCore))
		}
		for name, sv := range provs {
			if src, ok := providerSources[name]; !ok || sv[0] != src {
				out = append(out, fmt.Sprintf("%s: provider %q has source %q", dir, name, sv[0]))
			}
			if !want.MatchString(sv[1]) {
				out = append(out, fmt.Sprintf("%s: provider %q version %q does not match %s", dir, name, sv[1], want))
			}
		}
		used := map[string]bool{}
		for _, typ := range []string{"resource", "data"} {
			for _, b := range Blocks(mod, typ, "") {
				if p, _, ok := strings.Cut(b.Labels[0], "_"); ok && p != "terraform" {
					used[p] = true
				}
			}
		}
		for p := range used {
			if _, ok := provs[p]; !ok {
				out = append(out, fmt.Sprintf("%s: uses %s_* but does not declare provider %q in required_providers", dir, p, p))
			}
		}
	}
	return out
}

// CheckModuleSources reports module calls whose source is not a local path.
func CheckModuleSources(files []File) []string {
	var out []string
	for _, m := range Blocks(files, "module", "") {
		src, ok := LiteralString(m.Body, "source")
		if !ok || !(strings.HasPrefix(src, "./") || strings.HasPrefix(src, "../")) {
			out = append(out, fmt.Sprintf("%s module %q: source %q is not a local path", m.Where(), m.Labels[0], src))
		}
		if _, ok := m.Body.Attributes["version"]; ok {
			out = append(out, fmt.Sprintf("%s module %q: version is for registry modules", m.Where(), m.Labels[0]))
		}
	}
	return out
}

// CheckHelmReleases: a chart from a repository has an exact version; a chart without repository
// is a local path.
func CheckHelmReleases(files []File) []string {
	var out []string
	exact := regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)
	for _, h := range Blocks(files, "resource", "helm_release") {
		_, hasRepo := h.Body.Attributes["repository"]
		_, hasVer := h.Body.Attributes["version"]
		switch {
		case hasRepo && !hasVer:
			out = append(out, fmt.Sprintf("%s %s: chart from a repository without version", h.Where(), h.Name()))
		case hasRepo:
			if s, ok := LiteralString(h.Body, "version"); ok && !exact.MatchString(s) {
				out = append(out, fmt.Sprintf("%s %s: version %q is not exact", h.Where(), h.Name(), s))
			}
		default:
			if _, ok := h.Body.Attributes["chart"]; !ok {
				out = append(out, fmt.Sprintf("%s %s: no chart", h.Where(), h.Name()))
				continue
			}
			if s, ok := LiteralString(h.Body, "chart"); ok && !strings.HasPrefix(s, ".") && !strings.HasPrefix(s, "/") {
				out = append(out, fmt.Sprintf("%s %s: chart %q without repository is not a local path", h.Where(), h.Name(), s))
			}
		}
	}
	return out
}

// CheckBackends: an environment root keeps its state in S3 with native locking and encryption.
func CheckBackends(files []File, envRoots []string) []string {
	var out []string
	for _, dir := range envRoots {
		var s3 *hclsyntax.Block
		var where string
		for _, t := range Blocks(InDir(files, dir), "terraform", "") {
			for _, b := range Child(t.Block, "backend") {
				if len(b.Labels) == 1 && b.Labels[0] == "s3" {
					s3, where = b, t.File.Path
				}
			}
		}
		if s3 == nil {
			out = append(out, fmt.Sprintf("%s: no backend \"s3\"", dir))
			continue
		}
		if !strings.HasSuffix(where, "/backend.tf") {
			out = append(out, fmt.Sprintf("%s: backend block is in %s, not backend.tf", dir, where))
		}
		if v, ok := LiteralBool(s3.Body, "use_lockfile"); !ok || !v {
			out = append(out, fmt.Sprintf("%s: backend \"s3\" without use_lockfile = true", dir))
		}
		if v, ok := LiteralBool(s3.Body, "encrypt"); !ok || !v {
			out = append(out, fmt.Sprintf("%s: backend \"s3\" without encrypt = true", dir))
		}
		if _, ok := s3.Body.Attributes["dynamodb_table"]; ok {
			out = append(out, fmt.Sprintf("%s: dynamodb_table is not needed with use_lockfile", dir))
		}
		if _, ok := s3.Body.Attributes["key"]; !ok {
			out = append(out, fmt.Sprintf("%s: backend \"s3\" has no key", dir))
		}
	}
	return out
}

// CheckDefaultTags: the aws provider of every root sets default_tags.
func CheckDefaultTags(files []File, roots []string) []string {
	var out []string
	for _, dir := range roots {
		ps := Blocks(InDir(files, dir), "provider", "aws")
		if len(ps) == 0 {
			out = append(out, fmt.Sprintf("%s: no aws provider block", dir))
		}
		for _, p := range ps {
			if len(Child(p.Block, "default_tags")) == 0 {
				out = append(out, fmt.Sprintf("%s: aws provider without default_tags", p.Where()))
			}
		}
	}
	return out
}
