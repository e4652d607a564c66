package terraform

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

func referencedBy(files []File, typ, attr, ref string) bool {
	for _, b := range Blocks(files, "resource", typ) {
		if a, ok := b.Body.Attributes[attr]; ok && RefersTo(a.Expr, ref) {
			return true
		}
	}
	return false
}

// resolve returns the literal string list of an attribute, following one "local.x" reference.
func resolveStrings(files []File, body *hclsyntax.Body, name string) ([]string, bool) {
	a, ok := body.Attributes[name]
	if !ok {
		return nil, false
	}
	expr := a.Expr
	if refs := Refs(expr); len(refs) == 1 && strings.HasPrefix(refs[0], "local.") {
		l, ok := Locals(files)[strings.TrimPrefix(refs[0], "local.")]
		if !ok {
			return nil, false
		}
		expr = l.Expr
	}
	v, diags := expr.Value(nil)
	if diags.HasErrors() {
		return nil, false
	}
	return LiteralStrings(v)
}

// CheckEKS: secrets envelope-encrypted with a rotating KMS key, all control-plane logs on,
// access entries only, no implicit admin for the creator.
func CheckEKS(files []File) []string {
	var out []string
	for _, c := range Blocks(files, "resource", "aws_eks_cluster") {
		mod := InDir(files, c.File.Dir())
		encs := Child(c.Block, "encryption_config")
		if len(encs) == 0 {
			out = append(out, fmt.Sprintf("%s %s: no encryption_config", c.Where(), c.Name()))
		}
		for _, e := range encs {
			if r, ok := resolveStrings(mod, e.Body, "resources"); !ok || !slices.Contains(r, "secrets") {
				out = append(out, fmt.Sprintf("%s %s: encryption_config does not cover secrets", c.Where(), c.Name()))
			}
			for _, p := range Child(e, "provider") {
				ka, ok := p.Body.Attributes["key_arn"]
				if !ok {
					out = append(out, fmt.Sprintf("%s %s: encryption provider without key_arn", c.Where(), c.Name()))
					continue
				}
				for _, ref := range Refs(ka.Expr) {
					if !strings.HasPrefix(ref, "aws_kms_key.") {
						continue
					}
					for _, k := range Blocks(mod, "resource", "aws_kms_key") {
						if ref == "aws_kms_key."+k.Labels[1] || strings.HasPrefix(ref, "aws_kms_key."+k.Labels[1]+".") {
							if rot, _ := LiteralBool(k.Body, "enable_key_rotation"); !rot {
								out = append(out, fmt.Sprintf("%s %s: key rotation is off", k.Where(), k.Name()))
							}
						}
					}
				}
			}
		}
		logs, ok := resolveStrings(mod, c.Body, "enabled_cluster_log_types")
		for _, want := range []string{"api", "audit", "authenticator", "controllerManager", "scheduler"} {
			if !ok || !slices.Contains(logs, want) {
				out = append(out, fmt.Sprintf("%s %s: control-plane log %q not enabled", c.Where(), c.Name(), want))
			}
		}
		for _, ac := range Child(c.Block, "access_config") {
			if m, _ := LiteralString(ac.Body, "authentication_mode"); m != "API" {
				out = append(out, fmt.Sprintf("%s %s: authentication_mode %q, want API", c.Where(), c.Name(), m))
			}
			if b, ok := LiteralBool(ac.Body, "bootstrap_cluster_creator_admin_permissions"); !ok || b {
				out = append(out, fmt.Sprintf("%s %s: creator gets implicit admin; use an access entry", c.Where(), c.Name()))
			}
		}
		if len(Child(c.Block, "access_config")) == 0 {
			out = append(out, fmt.Sprintf("%s %s: no access_config", c.Where(), c.Name()))
		}
		for _, vc := range Child(c.Block, "vpc_config") {
			if b, ok := LiteralBool(vc.Body, "endpoint_private_access"); !ok || !b {
				out = append(out, fmt.Sprintf("%s %s: private endpoint off", c.Where(), c.Name()))
			}
		}
	}
	return out
}

// CheckNodes: node groups sit in private subnets only (traced from the node group through every
// module call of its module, e.g. in modules/stack, to the network module's output), use a launch
// template with IMDSv2, hop limit 1 and an encrypted gp3 root volume.
func CheckNodes(files []File) []string {
	var out []string
	for _, ng := range Blocks(files, "resource", "aws_eks_node_group") {
		mod := InDir(files, ng.File.Dir())
		// subnet_ids must come from a variable with "private" in its name.
		var subnetVar string
		for _, attr := range []string{"subnet_ids", "for_each"} {
			if a, ok := ng.Body.Attributes[attr]; ok {
				for _, ref := range Refs(a.Expr) {
					if strings.HasPrefix(ref, "var.") && strings.Contains(ref, "private") {
						subnetVar = strings.TrimPrefix(ref, "var.")
					}
				}
			}
		}
		if subnetVar == "" {
			out = append(out, fmt.Sprintf("%s %s: subnets do not come from a private-subnet variable", ng.Where(), ng.Name()))
		} else {
			out = append(out, tracePrivateSubnets(files, ng.File.Dir(), subnetVar)...)
		}
		lts := Child(ng.Block, "launch_template")
		if len(lts) == 0 {
			out = append(out, fmt.Sprintf("%s %s: no launch_template", ng.Where(), ng.Name()))
		}
		for _, lt := range lts {
			id := lt.Body.Attributes["id"]
			if id == nil {
				continue
			}
			for _, t := range Blocks(mod, "resource", "aws_launch_template") {
				if RefersTo(id.Expr, "aws_launch_template."+t.Labels[1]) {
					out = append(out, checkLaunchTemplate(t)...)
				}
			}
		}
	}
	return out
}

func checkLaunchTemplate(t Block) []string {
	var out []string
	md := Child(t.Block, "metadata_options")
	if len(md) == 0 {
		return []string{fmt.Sprintf("%s %s: no metadata_options", t.Where(), t.Name())}
	}
	if s, _ := LiteralString(md[0].Body, "http_tokens"); s != "required" {
		out = append(out, fmt.Sprintf("%s %s: http_tokens %q, want required (IMDSv2)", t.Where(), t.Name(), s))
	}
	if v, ok := Literal(md[0].Body, "http_put_response_hop_limit"); !ok || v.AsBigFloat().String() != "1" {
		out = append(out, fmt.Sprintf("%s %s: http_put_response_hop_limit must be 1 (pods use Pod Identity, not the node role)", t.Where(), t.Name()))
	}
	for _, bd := range Child(t.Block, "block_device_mappings") {
		for _, ebs := range Child(bd, "ebs") {
			if s, _ := LiteralString(ebs.Body, "volume_type"); s != "gp3" {
				out = append(out, fmt.Sprintf("%s %s: root volume type %q, want gp3", t.Where(), t.Name(), s))
			}
			if b, _ := LiteralBool(ebs.Body, "encrypted"); !b {
				out = append(out, fmt.Sprintf("%s %s: root volume not encrypted", t.Where(), t.Name()))
			}
		}
	}
	return out
}

// tracePrivateSubnets follows var.<v> of module directory dir to every module directory or root
// that calls it and checks the value is an output of the network module built from
// aws_subnet.private, whose subnets do not map public IPs.
func tracePrivateSubnets(files []File, dir, v string) []string {
	var out []string
	calls := 0
	for _, root := range Dirs(files) {
		for _, m := range Blocks(InDir(files, root), "module", "") {
			src, _ := LiteralString(m.Body, "source")
			if cleanJoin(root, src) != dir {
				continue
			}
			calls++
			a, ok := m.Body.Attributes[v]
			if !ok {
				out = append(out, fmt.Sprintf("%s: module %q does not set %s", m.Where(), m.Labels[0], v))
				continue
			}
			refs := Refs(a.Expr)
			if len(refs) != 1 || !strings.HasPrefix(refs[0], "module.") {
				out = append(out, fmt.Sprintf("%s: %s = %s is not a module output", m.Where(), v, m.File.Text(a.Expr.Range())))
				continue
			}
			parts := strings.Split(refs[0], ".")
			out = append(out, checkPrivateOutput(files, root, parts[1], parts[2])...)
		}
	}
	if calls == 0 {
		out = append(out, fmt.Sprintf("%s: nothing calls this module", dir))
	}
	return out
}

func checkPrivateOutput(files []File, root, module, output string) []string {
	calls := Blocks(InDir(files, root), "module", module)
	if len(calls) == 0 {
		return []string{fmt.Sprintf("%s: no module %q", root, module)}
	}
	src, _ := LiteralString(calls[0].Body, "source")
	dir := cleanJoin(root, src)
	mod := InDir(files, dir)
	outs := Blocks(mod, "output", output)
	if len(outs) == 0 {
		return []string{fmt.Sprintf("%s: module %s has no output %q", root, dir, output)}
	}
	o := outs[0]
	if val := o.Body.Attributes["value"]; val == nil || !RefersTo(val.Expr, "aws_subnet.private") {
		return []string{fmt.Sprintf("%s output %q is not built from aws_subnet.private", o.Where(), output)}
	}
	for _, s := range Blocks(mod, "resource", "aws_subnet") {
		if b, ok := LiteralBool(s.Body, "map_public_ip_on_launch"); s.Labels[1] == "private" && ok && b {
			return []string{fmt.Sprintf("%s: private subnets map public IPs", s.Where())}
		}
	}
	return nil
}

// cleanJoin joins a module directory and a relative source, both slash paths relative to infra.
func cleanJoin(dir, rel string) string {
	parts := strings.Split(dir, "/")
	for _, p := range strings.Split(rel, "/") {
		switch p {
		case ".", "":
		case "..":
			if len(parts) > 0 {
				parts = parts[:len(parts)-1]
			}
		default:
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "/")
}

// CheckOpenIngress: no security group ingress from 0.0.0.0/0 or ::/0 except ports 80 and 443.
func CheckOpenIngress(files []File) []string {
	var out []string
	open := func(vals []string) bool {
		return slices.Contains(vals, "0.0.0.0/0") || slices.Contains(vals, "::/0")
	}
	webOnly := func(body *hclsyntax.Body) bool {
		from, ok1 := Literal(body, "from_port")
		to, ok2 := Literal(body, "to_port")
		if !ok1 || !ok2 {
			return false
		}
		f, t := from.AsBigFloat().String(), to.AsBigFloat().String()
		return f == t && (f == "80" || f == "443")
	}
	for _, r := range Blocks(files, "resource", "aws_vpc_security_group_ingress_rule") {
		var cidrs []string
		for _, k := range []string{"cidr_ipv4", "cidr_ipv6"} {
			if s, ok := LiteralString(r.Body, k); ok {
				cidrs = append(cidrs, s)
			}
		}
		if open(cidrs) && !webOnly(r.Body) {
			out = append(out, fmt.Sprintf("%s %s: ingress from anywhere on a port other than 80/443", r.Where(), r.Name()))
		}
	}
	check := func(where string, body *hclsyntax.Body) {
		var cidrs []string
		for _, k := range []string{"cidr_blocks", "ipv6_cidr_blocks"} {
			if v, ok := Literal(body, k); ok {
				s, _ := LiteralStrings(v)
				cidrs = append(cidrs, s...)
			}
		}
		if open(cidrs) && !webOnly(body) {
			out = append(out, where+": ingress from anywhere on a port other than 80/443")
		}
	}
	for _, r := range Blocks(files, "resource", "aws_security_group_rule") {
		if t, _ := LiteralString(r.Body, "type"); t == "ingress" {
			check(r.Where()+" "+r.Name(), r.Body)
		}
	}
	for _, r := range Blocks(files, "resource", "aws_security_group") {
		for _, in := range Child(r.Block, "ingress") {
			check(r.Where()+" "+r.Name(), in.Body)
		}
	}
	return out
}

// CheckBuckets: every S3 bucket has versioning enabled, default encryption, a full public
// access block and a policy, each bound to it by reference.
func CheckBuckets(files []File) []string {
	var out []string
	for _, b := range Blocks(files, "resource", "aws_s3_bucket") {
		mod := InDir(files, b.File.Dir())
		ref := "aws_s3_bucket." + b.Labels[1]
		find := func(typ string) *Block {
			for _, r := range Blocks(mod, "resource", typ) {
				if a, ok := r.Body.Attributes["bucket"]; ok && RefersTo(a.Expr, ref) {
					return &r
				}
			}
			out = append(out, fmt.Sprintf("%s %s: no %s", b.Where(), b.Name(), typ))
			return nil
		}
		if v := find("aws_s3_bucket_versioning"); v != nil {
			enabled := false
			for _, c := range Child(v.Block, "versioning_configuration") {
				s, _ := LiteralString(c.Body, "status")
				enabled = s == "Enabled"
			}
			if !enabled {
				out = append(out, fmt.Sprintf("%s: versioning not Enabled", v.Where()))
			}
		}
		if e := find("aws_s3_bucket_server_side_encryption_configuration"); e != nil {
			rules := Child(e.Block, "rule")
			if len(rules) == 0 || len(Child(rules[0], "apply_server_side_encryption_by_default")) == 0 {
				out = append(out, fmt.Sprintf("%s: no default encryption rule", e.Where()))
			}
		}
		if p := find("aws_s3_bucket_public_access_block"); p != nil {
			for _, k := range []string{"block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"} {
				if v, ok := LiteralBool(p.Body, k); !ok || !v {
					out = append(out, fmt.Sprintf("%s: %s is not true", p.Where(), k))
				}
			}
		}
		find("aws_s3_bucket_policy")
	}
	return out
}

// CheckGitHubTrust: every statement allowing sts:AssumeRoleWithWebIdentity for the GitHub OIDC
// provider pins the audience to sts.amazonaws.com and the subject, with StringEquals, to
// "repo:${var.github_repository}:..." without any wildcard; and github_repository's validation
// rejects "*".
func CheckGitHubTrust(files []File) []string {
	var out []string
	for _, d := range Blocks(files, "data", "aws_iam_policy_document") {
		mod := InDir(files, d.File.Dir())
		locals := Locals(mod)
		for _, st := range Child(d.Block, "statement") {
			actions, _ := Literal(st.Body, "actions")
			acts, _ := LiteralStrings(actions)
			if !slices.Contains(acts, "sts:AssumeRoleWithWebIdentity") {
				continue
			}
			var aud, sub bool
			for _, c := range Child(st, "condition") {
				variable := expand(d.File, c.Body.Attributes["variable"], locals)
				test, _ := LiteralString(c.Body, "test")
				switch {
				case strings.HasSuffix(variable, ":aud"):
					vals, _ := Literal(c.Body, "values")
					s, _ := LiteralStrings(vals)
					aud = test == "StringEquals" && slices.Equal(s, []string{"sts.amazonaws.com"})
				case strings.HasSuffix(variable, ":sub"):
					if !strings.HasPrefix(variable, "token.actions.githubusercontent.com") {
						continue
					}
					sub = true
					if test != "StringEquals" {
						out = append(out, fmt.Sprintf("%s %s: sub condition uses %s, want StringEquals", d.Where(), d.Name(), test))
					}
					for _, s := range subjectTemplates(d.File, c.Body.Attributes["values"], locals) {
						if !strings.HasPrefix(s, "repo:${var.github_repository}:") || strings.Contains(s, "*") {
							out = append(out, fmt.Sprintf("%s %s: subject %s is not limited to this repository", d.Where(), d.Name(), s))
						}
					}
				}
			}
			if !aud {
				out = append(out, fmt.Sprintf("%s %s: audience not pinned to sts.amazonaws.com with StringEquals", d.Where(), d.Name()))
			}
			if !sub {
				out = append(out, fmt.Sprintf("%s %s: no subject condition", d.Where(), d.Name()))
			}
		}
	}
	for _, v := range Blocks(files, "variable", "github_repository") {
		if !repositoryValidated(files, v) {
			out = append(out, fmt.Sprintf("%s: github_repository validation must be an anchored regex that cannot match *", v.Where()))
		}
	}
	return out
}

// repositoryValidated: v's validation is an anchored regex whose classes do not admit '*', or v
// has no validation of its own and is handed unchanged to variables that all have such a one.
func repositoryValidated(files []File, v Block) bool {
	vals := Child(v.Block, "validation")
	if len(vals) == 0 {
		next := passedTo(files, v)
		for _, tv := range next {
			if !repositoryValidated(files, tv) {
				return false
			}
		}
		return len(next) > 0
	}
	rejects := false
	for _, val := range vals {
		if c, ok := val.Body.Attributes["condition"]; ok {
			text := v.File.Text(c.Expr.Range())
			rejects = strings.Contains(text, "regex(\"^") && !strings.Contains(text, "*")
		}
	}
	return rejects
}

// expand returns the source text of an attribute, with a "${local.x}" or a bare local.x replaced by
// the local's source text (one level), quotes removed.
func expand(f File, a *hclsyntax.Attribute, locals map[string]Attr) string {
	if a == nil {
		return ""
	}
	text := strings.Trim(f.Text(a.Expr.Range()), `"`)
	for name, l := range locals {
		lt := strings.Trim(l.Text(), `"`)
		text = strings.ReplaceAll(text, "${local."+name+"}", lt)
		if text == "local."+name {
			text = lt
		}
	}
	return text
}

// subjectTemplates returns the source text of each element of a values list, locals expanded.
func subjectTemplates(f File, a *hclsyntax.Attribute, locals map[string]Attr) []string {
	if a == nil {
		return nil
	}
	tuple, ok := a.Expr.(*hclsyntax.TupleConsExpr)
	if !ok {
		return []string{f.Text(a.Expr.Range())}
	}
	var out []string
	for _, e := range tuple.Exprs {
		text := strings.Trim(f.Text(e.Range()), `"`)
		if strings.HasPrefix(text, "local.") {
			if l, ok := locals[strings.TrimPrefix(text, "local.")]; ok {
				text = strings.Trim(l.Text(), `"`)
			}
		}
		out = append(out, text)
	}
	return out
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
