package docs

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/orderstack/orderstack/platform/internal/repo"
)

// TestGenerateResources renders a made-up repository from made-up terraform-docs output and
// checks each derived part. (That the committed docs/resources.md is what the real
// terraform-docs makes of the real infra/ is checked by `make test-infra`.)
func TestGenerateResources(t *testing.T) {
	root := t.TempDir()
	docs := map[string]string{
		"infra/modules/net": `{"modules":[],"resources":[
			{"type":"nat_gateway","name":"this","provider":"aws","mode":"managed","description":"NAT gateways: one per AZ,\nor a single one."},
			{"type":"region","name":"current","provider":"aws","mode":"data","description":"Where we are."},
			{"type":"release","name":"x","provider":"helm","mode":"managed","description":"Values a|b."}]}`,
		"infra/modules/stack": `{"modules":[{"name":"net","source":"../net"}],"resources":[]}`,
		"infra/bootstrap":     `{"modules":[],"resources":[{"type":"s3_bucket","name":"state","provider":"aws","mode":"managed","description":"State."}]}`,
		"infra/envs":          `{"modules":[{"name":"stack","source":"../modules/stack"}],"resources":[]}`,
	}
	for dir := range docs {
		repo.Write(t, root, dir+"/main.tf", "")
	}
	repo.Write(t, root, "infra/envs/dev.tfvars", "environment = \"dev\"\nregion = \"eu-west-1\"\nsizes = {\n  a = 1\n}\n")
	repo.Write(t, root, "infra/envs/prod.tfvars", "environment = \"prod\"\nregion = \"eu-west-1\"\nsizes = {\n  a = 2\n}\nflow_logs = true\n")
	generate := func() (string, error) {
		md, err := GenerateResources(root, func(dir string) ([]byte, error) {
			rel, _ := filepath.Rel(root, dir)
			return []byte(docs[filepath.ToSlash(rel)]), nil
		})
		return string(md), err
	}
	md, err := generate()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		ResourcesHeader,
		"3 `resource` blocks in 4 folders.", // data sources are not resources
		"## net\n\n[`infra/modules/net`](../infra/modules/net), used by `infra/modules/stack` (module `net`).",
		"## stack\n\n[`infra/modules/stack`](../infra/modules/stack), used by `infra/envs` (module `stack`).",
		"| `aws_nat_gateway.this` | NAT gateways: one per AZ, or a single one. | $0.048/h each (~$35/month) + $0.048/GB processed |",
		"| `helm_release.x` | Values a\\|b. | none itself; its pods use node capacity |",
		"## infra/bootstrap\n\n[`infra/bootstrap`](../infra/bootstrap).",
		"| `aws_s3_bucket.state` | State. |",
		"No resources of its own.",
		"| variable | dev | prod |",
		"| `environment` | `\"dev\"` | `\"prod\"` |",
		"| `flow_logs` | (default) | `true` |",
		"| `sizes` | `{ a = 1 }` | `{ a = 2 }` |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("generated page lacks %q:\n%s", want, md)
		}
	}
	for _, unwanted := range []string{"aws_region", "`region`"} { // data sources and equal variables stay out
		if strings.Contains(md, unwanted) {
			t.Errorf("generated page has %q:\n%s", unwanted, md)
		}
	}
	docs["infra/modules/net"] = `{"resources":[{"type":"route","name":"undocumented","provider":"aws","mode":"managed","description":" "}]}`
	if _, err := generate(); err == nil || !strings.Contains(err.Error(), "infra/modules/net: aws_route.undocumented") {
		t.Errorf("a resource without a comment: err = %v, want one naming it", err)
	}
}
