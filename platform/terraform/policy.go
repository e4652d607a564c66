package terraform

import (
	"fmt"
	"regexp"
	"strings"
)

// Each check takes parsed files and returns one line per problem; no problems means it holds.
// These are the orderstack rules no standard tool has; formatting, references, types, required
// arguments, variable and output documentation and version constraints are checked by terraform
// fmt/validate/test and tflint (make test-infra, docs/infra.md "Checks").

var secretName = regexp.MustCompile(`password|secret|token|credential|private_key`)

// CheckOutputs reports outputs marked sensitive or named like a secret (only "..._command"
// outputs, which print a command, may be): secrets never leave the cluster. With this rule an
// output of a generated secret cannot pass at all, because Terraform refuses an output of a
// sensitive value that is not marked sensitive ("Output refers to sensitive values").
// (Descriptions: tflint's terraform_documented_outputs.)
func CheckOutputs(files []File) []string {
	var out []string
	for _, o := range Blocks(files, "output", "") {
		name := o.Labels[0]
		if s, ok := LiteralBool(o.Body, "sensitive"); ok && s {
			out = append(out, fmt.Sprintf("%s output %q: sensitive outputs are not allowed (secrets never leave the cluster)", o.Where(), name))
		}
		if secretName.MatchString(name) && !strings.HasSuffix(name, "_command") {
			out = append(out, fmt.Sprintf("%s output %q: looks like a secret; output a command that reads it instead", o.Where(), name))
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
