package docs

import (
	"github.com/orderstack/orderstack/platform/internal/repo"

	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestResourcesUpToDate: docs/resources.md is exactly what the generator
// makes of the current infra/ and deploy/.
func TestResourcesUpToDate(t *testing.T) {
	root := repo.Root(t)
	want, err := GenerateResources(root)
	if err != nil {
		t.Fatalf("GenerateResources: %v", err)
	}
	got, err := os.ReadFile(filepath.Join(root, "docs", "resources.md"))
	if err != nil {
		t.Fatalf("docs/resources.md: %v; run `make docs`", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("docs/resources.md is out of date; run `make docs` (-generated +committed):\n%s", diff)
	}
}

// TestGenerateResources runs the generator on a small made-up repository and
// checks each derived column.
func TestGenerateResources(t *testing.T) {
	root := t.TempDir()
	repo.Write(t, root, "infra/modules/net/main.tf", `
# The VPC.
resource "aws_vpc" "this" {
  cidr_block = var.cidr
}

# NAT gateways: one per AZ, or a single one.
resource "aws_nat_gateway" "this" {
  count = var.single_nat ? 1 : length(var.azs)
}

# Flow logs, when enabled.
resource "aws_flow_log" "this" {
  count = var.flow_logs ? 1 : 0
}

# Elastic IPs of the NAT gateways.
resource "aws_eip" "nat" {
  count = local.nat_count
}

resource "aws_route" "undocumented" {
  for_each = local.routes
}

# Interface endpoints.
resource "aws_vpc_endpoint" "iface" {
  for_each = toset(["ecr.api", "sts"])
}
`)
	repo.Write(t, root, "infra/modules/net/locals.tf", "locals {\n  nat_count = var.single_nat ? 1 : length(var.azs)\n}\n")
	repo.Write(t, root, "infra/modules/net/variables.tf", `
variable "single_nat" {
  type    = bool
  default = false
}
`)
	repo.Write(t, root, "infra/modules/apps/main.tf", `
# Ingress controller.
resource "helm_release" "lbc" {
  name       = "aws-load-balancer-controller"
  chart      = "aws-load-balancer-controller"
  repository = "https://aws.github.io/eks-charts"
  version    = var.lbc_version
  namespace  = "kube-system"
}
`)
	repo.Write(t, root, "infra/modules/apps/variables.tf", "variable \"lbc_version\" {\n  default = \"1.13.4\"\n}\nvariable \"mon_ns\" {}\n")
	repo.Write(t, root, "infra/modules/apps/mon.tf", `
# Monitoring namespace.
resource "kubernetes_namespace_v1" "mon" {
  metadata {
    name = var.mon_ns
  }
}

# Prometheus.
resource "helm_release" "kps" {
  name      = "kube-prometheus-stack"
  chart     = "kube-prometheus-stack"
  version   = "75.15.0"
  namespace = kubernetes_namespace_v1.mon.metadata[0].name
}
`)
	for env, nat := range map[string]string{"dev": "true", "prod": "false"} {
		repo.Write(t, root, "infra/envs/"+env+"/main.tf", `
module "net" {
  source     = "../../modules/net"
  single_nat = var.single_nat
  cidr       = "10.0.0.0/16"
}
`)
		repo.Write(t, root, "infra/envs/"+env+"/variables.tf", "variable \"single_nat\" {\n  default = "+nat+"\n}\n")
	}
	repo.Write(t, root, "infra/envs/prod/extra.tf", "module \"apps\" {\n  source = \"../../modules/apps\"\n  mon_ns = \"monitoring\"\n}\n")
	repo.Write(t, root, "deploy/helm/app/Chart.yaml", "name: app\n")
	repo.Write(t, root, "deploy/helm/app/templates/hpa.yaml", "{{- if .Values.autoscaling.enabled }}\nkind: HorizontalPodAutoscaler\n{{- end }}\n")
	repo.Write(t, root, "deploy/helm/app/templates/deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\n")
	repo.Write(t, root, "deploy/helm/app/templates/tests/t.yaml", "kind: Pod\n")
	repo.Write(t, root, "deploy/db/operator-values.yaml", "replicas: 1\n")

	md, err := GenerateResources(root)
	if err != nil {
		t.Fatal(err)
	}
	got := string(md)
	for _, want := range []string{
		"9 `resource` blocks in 2 modules and 2 roots.",
		"| `kube-prometheus-stack` | `kube-prometheus-stack` | `75.15.0` | `monitoring` |",
		"| `aws_eip.nat` | Elastic IPs of the NAT gateways. | per AZ: `count = local.nat_count` = `var.single_nat ? 1 : length(var.azs)` | $0.005/h",
		"used by `infra/envs/dev` (module `net`), `infra/envs/prod` (module `net`).",
		"| `aws_vpc.this` | The VPC. | one | no direct charge | main.tf |",
		"| `aws_nat_gateway.this` | NAT gateways: one per AZ, or a single one. | one per AZ (`count = var.single_nat ? 1 : length(var.azs)`) | $0.048/h each",
		"| `aws_flow_log.this` | Flow logs, when enabled. | only if `var.flow_logs` |",
		"| `aws_route.undocumented` | **undocumented** | one per element of `local.routes` |",
		"| `aws_vpc_endpoint.iface` | Interface endpoints. | one per element of `toset([\"ecr.api\", \"sts\"])`: ecr.api, sts |",
		"| `net` | `single_nat` | `true` | `false` |",
		"| `apps` | (whole module) | absent | yes |",
		"| `aws-load-balancer-controller` | `aws-load-balancer-controller` | `1.13.4` | `kube-system` | https://aws.github.io/eks-charts | `infra/modules/apps/main.tf` |",
		"| HorizontalPodAutoscaler | `hpa.yaml` | `.Values.autoscaling.enabled` |",
		"| Deployment | `deployment.yaml` | always |",
		"| Pod | `tests/t.yaml` | `helm test` only |",
		"| `deploy/db/operator-values.yaml` | Helm values |",
		"| `infra/envs/dev` | ≈ 7 | 2 |", // single NAT: count known; flow log and routes unknown
		"| `infra/envs/prod` | ≈ 14 | 4 |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("generated resources.md lacks\n%s\n--- got:\n%s", want, got)
		}
	}
	if strings.Contains(got, "`cidr`") {
		t.Errorf("argument cidr is equal in both environments but listed as a difference:\n%s", got)
	}
}

// TestEveryResourceHasPurpose: the purpose column of resources.md comes from
// the comment above each resource block; none may be missing.
func TestEveryResourceHasPurpose(t *testing.T) {
	modules, roots, err := tfDirs(repo.Root(t))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range append(modules, roots...) {
		for _, r := range d.Resources {
			n++
			if r.Purpose == "" {
				t.Errorf("%s: resource %q %q has no # comment above it stating its purpose", r.File, r.Type, r.Name)
			}
		}
	}
	t.Logf("%d resource blocks", n)
}

// TestGenerateResourcesNested: a root calling a module that calls modules
// (infra/modules/stack): arguments flow down both levels.
func TestGenerateResourcesNested(t *testing.T) {
	root := t.TempDir()
	repo.Write(t, root, "infra/modules/net/main.tf", `
variable "azs" {}
# Private subnets.
resource "aws_subnet" "private" {
  count = length(var.azs)
}
`)
	repo.Write(t, root, "infra/modules/apps/main.tf", `
variable "chart_version" {}
# Load balancer controller.
resource "helm_release" "lbc" {
  name    = "aws-load-balancer-controller"
  chart   = "aws-load-balancer-controller"
  version = var.chart_version
}
`)
	repo.Write(t, root, "infra/modules/stack/main.tf", `
variable "azs" {}
variable "lbc" {}
module "net" {
  source = "../net"
  azs    = var.azs
}
module "apps" {
  source        = "../apps"
  chart_version = var.lbc
}
`)
	for env, v := range map[string][2]string{"dev": {`["a", "b"]`, "1.13.0"}, "prod": {`["a", "b", "c"]`, "1.13.4"}} {
		repo.Write(t, root, "infra/envs/"+env+"/main.tf", `
module "stack" {
  source = "../../modules/stack"
  azs    = `+v[0]+`
  lbc    = "`+v[1]+`"
}
`)
	}
	md, err := GenerateResources(root)
	if err != nil {
		t.Fatal(err)
	}
	got := string(md)
	for _, want := range []string{
		"[`infra/modules/net`](../infra/modules/net), used by `infra/modules/stack` (module `net`).",
		"[`infra/modules/stack`](../infra/modules/stack), used by `infra/envs/dev` (module `stack`), `infra/envs/prod` (module `stack`).",
		"| `stack` | `azs` | `[\"a\", \"b\"]` | `[\"a\", \"b\", \"c\"]` |",
		"| `infra/envs/dev` | 3 | 0 |",  // 2 subnets + 1 release
		"| `infra/envs/prod` | 4 | 0 |", // 3 subnets + 1 release
		"| `aws-load-balancer-controller` | `aws-load-balancer-controller` | `dev: 1.13.0; prod: 1.13.4` |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("generated resources.md lacks\n%s\n--- got:\n%s", want, got)
		}
	}
}
