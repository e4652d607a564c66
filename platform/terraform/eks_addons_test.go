package terraform

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// ebsCSISchema lists the configuration keys the aws-ebs-csi-driver add-on accepts: its
// configuration schema follows the driver chart's values.schema.json, which sets
// additionalProperties false at the top and under controller, so AWS refuses any other key at
// apply time. Recorded from charts/aws-ebs-csi-driver/values.schema.json of
// kubernetes-sigs/aws-ebs-csi-driver v1.44.0 (the keys used here are unchanged up to v1.64.0).
var ebsCSISchema = map[string][]string{
	"": {"a1CompatibilityDaemonSet", "additionalDaemonSets", "awsAccessSecret", "controller", "customLabels",
		"defaultStorageClass", "enabled", "fips", "fullnameOverride", "global", "helmTester", "image",
		"imagePullSecrets", "nameOverride", "node", "nodeComponentOnly", "proxy", "sidecars", "storageClasses",
		"useOldCSIDriver", "volumeSnapshotClasses"},
	"controller": {"additionalArgs", "affinity", "batching", "containerSecurityContext", "defaultFsType",
		"deploymentAnnotations", "dnsConfig", "enableMetrics", "env", "envFrom", "extraCreateMetadata",
		"extraVolumeTags", "httpEndpoint", "initContainers", "k8sTagClusterId", "logLevel", "loggingFormat",
		"nameOverride", "nodeSelector", "otelTracing", "podAnnotations", "podDisruptionBudget", "podLabels",
		"priorityClassName", "region", "replicaCount", "resources", "revisionHistoryLimit", "sdkDebugLog",
		"securityContext", "serviceAccount", "serviceMonitor", "socketDirVolume", "tolerations",
		"topologySpreadConstraints", "updateStrategy", "userAgentExtra", "volumeModificationFeature",
		"volumeMounts", "volumes"},
}

// objectPaths returns the dotted key paths of nested literal-key object constructors.
func objectPaths(t *testing.T, expr hclsyntax.Expression, prefix string) []string {
	t.Helper()
	obj, ok := expr.(*hclsyntax.ObjectConsExpr)
	if !ok {
		return nil
	}
	var out []string
	for _, item := range obj.Items {
		k, diags := item.KeyExpr.Value(nil)
		if diags.HasErrors() {
			t.Fatalf("non-literal key at %s", item.KeyExpr.Range())
		}
		p := k.AsString()
		if prefix != "" {
			p = prefix + "." + p
		}
		out = append(out, p)
		out = append(out, objectPaths(t, item.ValueExpr, p)...)
	}
	return out
}

func eksResource(t *testing.T, files []File, typ, name string) Block {
	t.Helper()
	for _, b := range Blocks(InDir(files, "modules/eks"), "resource", typ) {
		if b.Labels[1] == name {
			return b
		}
	}
	t.Fatalf("modules/eks: no %s.%s", typ, name)
	return Block{}
}

// TestEBSCSIConfigurationKeys: every key of the EBS CSI add-on's configuration_values is one the
// add-on's schema accepts, and the two this repository relies on are set: k8sTagClusterId (volumes
// tagged KubernetesCluster=<cluster>, which pre-destroy.sh looks for) and extraVolumeTags (the
// cost allocation tags, so the environment's budget counts the volumes).
func TestEBSCSIConfigurationKeys(t *testing.T) {
	b := eksResource(t, loadInfra(t), "aws_eks_addon", "ebs_csi_driver")
	a, ok := b.Body.Attributes["configuration_values"]
	if !ok {
		t.Fatalf("%s: no configuration_values", b.Where())
	}
	call, ok := a.Expr.(*hclsyntax.FunctionCallExpr)
	if !ok || call.Name != "jsonencode" || len(call.Args) != 1 {
		t.Fatalf("%s: configuration_values is not jsonencode({...})", b.Where())
	}
	paths := objectPaths(t, call.Args[0], "")
	for _, p := range paths {
		parent, key := "", p
		if i := strings.LastIndex(p, "."); i >= 0 {
			parent, key = p[:i], p[i+1:]
		}
		allowed, known := ebsCSISchema[parent]
		if !known {
			continue // below a free-form value (extraVolumeTags' own keys are tag names)
		}
		if !slices.Contains(allowed, key) {
			t.Errorf("%s: configuration key %q is not in the aws-ebs-csi-driver schema (%s accepts %v)", b.Where(), p, parent, allowed)
		}
	}
	for _, want := range []string{"controller.k8sTagClusterId", "controller.extraVolumeTags"} {
		if !slices.Contains(paths, want) {
			t.Errorf("%s: configuration_values lacks %s (got %v)", b.Where(), want, paths)
		}
	}
}

// TestNodesWaitForNetworking: no node group is created before the VPC CNI, kube-proxy and the Pod
// Identity agent: a node without the CNI never becomes Ready.
func TestNodesWaitForNetworking(t *testing.T) {
	files := loadInfra(t)
	ng := eksResource(t, files, "aws_eks_node_group", "this")
	dep, ok := ng.Body.Attributes["depends_on"]
	if !ok {
		t.Fatalf("%s: no depends_on", ng.Where())
	}
	for _, want := range []string{"aws_eks_addon.vpc_cni", "aws_eks_addon.kube_proxy", "aws_eks_addon.pod_identity_agent"} {
		if !RefersTo(dep.Expr, want) {
			t.Errorf("%s: node groups do not wait for %s", ng.Where(), want)
		}
	}
	if d, ok := eksResource(t, files, "aws_eks_addon", "vpc_cni").Body.Attributes["depends_on"]; ok && RefersTo(d.Expr, "aws_eks_node_group.this") {
		t.Error("aws_eks_addon.vpc_cni waits for the node groups it must precede")
	}
}

// TestAddonVersionsResolved: every add-on's version is its pin or the most recent version EKS
// lists for the cluster's Kubernetes version, and the pins' keys are exactly the add-ons.
func TestAddonVersionsResolved(t *testing.T) {
	files := loadInfra(t)
	eks := InDir(files, "modules/eks")
	var addons []string
	for _, b := range Blocks(eks, "resource", "aws_eks_addon") {
		v, ok := b.Body.Attributes["addon_version"]
		if !ok || !RefersTo(v.Expr, "local.addon_versions") {
			t.Errorf("%s: addon_version is not local.addon_versions[...]", b.Where())
		}
		name, _ := LiteralString(b.Body, "addon_name")
		addons = append(addons, name)
	}
	names, err := EvalLocal(files, "modules/eks", "addon_names", nil)
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, v := range names.AsValueMap() {
		listed = append(listed, v.AsString())
	}
	sort.Strings(addons)
	sort.Strings(listed)
	if strings.Join(addons, " ") != strings.Join(listed, " ") {
		t.Errorf("local.addon_names = %v, the add-ons are %v", listed, addons)
	}
	l, ok := Locals(eks)["addon_versions"]
	if !ok || !RefersTo(l.Expr, "var.addon_versions") || !RefersTo(l.Expr, "data.aws_eks_addon_version.latest") {
		t.Error("modules/eks: local.addon_versions is not the pin or data.aws_eks_addon_version.latest")
	}
	for _, d := range Blocks(eks, "data", "aws_eks_addon_version") {
		if mr, _ := LiteralBool(d.Body, "most_recent"); !mr {
			t.Errorf("%s: most_recent is not true", d.Where())
		}
		if kv := d.Body.Attributes["kubernetes_version"]; kv == nil || !RefersTo(kv.Expr, "var.kubernetes_version") {
			t.Errorf("%s: versions are not looked up for var.kubernetes_version", d.Where())
		}
	}
}
