package terraform

import (
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// statement is one statement of an aws_iam_policy_document, as source text where not constant.
type statement struct {
	actions    []string
	resources  string            // source text of the resources expression
	conditions map[string]string // "test variable" -> values source text
}

func policyStatements(t *testing.T, files []File, dir, name string) []statement {
	t.Helper()
	docs := Blocks(InDir(files, dir), "data", "aws_iam_policy_document")
	for _, d := range docs {
		if d.Labels[1] != name {
			continue
		}
		var out []statement
		for _, st := range Child(d.Block, "statement") {
			s := statement{conditions: map[string]string{}}
			if v, ok := Literal(st.Body, "actions"); ok {
				s.actions, _ = LiteralStrings(v)
			}
			if r, ok := st.Body.Attributes["resources"]; ok {
				s.resources = d.File.Text(r.Expr.Range())
			}
			for _, c := range Child(st, "condition") {
				test, _ := LiteralString(c.Body, "test")
				variable := strings.Trim(textOf(d.File, c.Body.Attributes["variable"]), `"`)
				s.conditions[test+" "+variable] = textOf(d.File, c.Body.Attributes["values"])
			}
			out = append(out, s)
		}
		return out
	}
	t.Fatalf("%s: no data.aws_iam_policy_document.%s", dir, name)
	return nil
}

func textOf(f File, a *hclsyntax.Attribute) string {
	if a == nil {
		return ""
	}
	return f.Text(a.Expr.Range())
}

func statementsWith(sts []statement, action string) []statement {
	var out []statement
	for _, s := range sts {
		if slices.Contains(s.actions, action) {
			out = append(out, s)
		}
	}
	return out
}

// TestLoadBalancerControllerPolicy: the controller can do its job (the actions of its v2
// iam_policy.json are there) and may only create, change or delete load balancers, target groups
// and security groups tagged with elbv2.k8s.aws/cluster.
func TestLoadBalancerControllerPolicy(t *testing.T) {
	sts := policyStatements(t, loadInfra(t), "modules/workload-identities", "lb_controller")
	for _, a := range []string{
		"iam:CreateServiceLinkedRole", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:CreateSecurityGroup",
		"ec2:CreateTags", "ec2:DeleteSecurityGroup", "elasticloadbalancing:CreateLoadBalancer",
		"elasticloadbalancing:CreateTargetGroup", "elasticloadbalancing:CreateListener", "elasticloadbalancing:CreateRule",
		"elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:RegisterTargets", "elasticloadbalancing:AddTags",
		"elasticloadbalancing:DescribeListenerAttributes", "elasticloadbalancing:ModifyListenerAttributes",
		"elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:SetWebAcl", "wafv2:AssociateWebACL",
		"acm:DescribeCertificate", "shield:GetSubscriptionState",
	} {
		if len(statementsWith(sts, a)) == 0 {
			t.Errorf("controller policy lacks %s", a)
		}
	}
	requestTagged := "Null aws:RequestTag/elbv2.k8s.aws/cluster"
	resourceTagged := "Null aws:ResourceTag/elbv2.k8s.aws/cluster"
	for _, c := range []struct{ action, condition string }{
		{"elasticloadbalancing:CreateLoadBalancer", requestTagged},
		{"elasticloadbalancing:CreateTargetGroup", requestTagged},
		{"elasticloadbalancing:DeleteLoadBalancer", resourceTagged},
		{"elasticloadbalancing:DeleteTargetGroup", resourceTagged},
		{"elasticloadbalancing:ModifyLoadBalancerAttributes", resourceTagged},
		{"ec2:DeleteSecurityGroup", resourceTagged},
	} {
		for _, s := range statementsWith(sts, c.action) {
			if got := s.conditions[c.condition]; got != `["false"]` {
				t.Errorf("%s is allowed without condition %s = false (conditions %v)", c.action, c.condition, s.conditions)
			}
		}
	}
	for _, s := range statementsWith(sts, "iam:CreateServiceLinkedRole") {
		if !strings.Contains(s.conditions["StringEquals iam:AWSServiceName"], "elasticloadbalancing.amazonaws.com") {
			t.Errorf("iam:CreateServiceLinkedRole not limited to elasticloadbalancing.amazonaws.com")
		}
	}
}

// TestClusterAutoscalerPolicy: it may resize or terminate only this cluster's Auto Scaling groups.
func TestClusterAutoscalerPolicy(t *testing.T) {
	sts := policyStatements(t, loadInfra(t), "modules/workload-identities", "cluster_autoscaler")
	for _, a := range []string{"autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"} {
		got := statementsWith(sts, a)
		if len(got) == 0 {
			t.Errorf("autoscaler policy lacks %s", a)
		}
		for _, s := range got {
			if s.conditions["StringEquals aws:ResourceTag/k8s.io/cluster-autoscaler/${var.cluster_name}"] != `["owned"]` {
				t.Errorf("%s not limited to groups tagged k8s.io/cluster-autoscaler/<cluster>=owned: %v", a, s.conditions)
			}
		}
	}
}

// TestBackupPolicyOnlyThisBucket: the backup agents' policy names this bucket and nothing else.
func TestBackupPolicyOnlyThisBucket(t *testing.T) {
	sts := policyStatements(t, loadInfra(t), "modules/backup-bucket", "writer")
	if len(sts) < 2 {
		t.Fatalf("writer policy has %d statements, want list + objects", len(sts))
	}
	for _, s := range sts {
		for _, a := range s.actions {
			if !strings.HasPrefix(a, "s3:") && !strings.HasPrefix(a, "kms:") || strings.Contains(a, "*") {
				t.Errorf("writer policy allows %s", a)
			}
		}
		if strings.HasPrefix(s.actions[0], "kms:") {
			continue
		}
		if !strings.Contains(s.resources, "aws_s3_bucket.this.arn") || strings.Contains(s.resources, `"*"`) {
			t.Errorf("statement %v has resources %s, want this bucket only", s.actions, s.resources)
		}
	}
	for _, s := range statementsWith(sts, "s3:PutObject") {
		if s.resources != `["${aws_s3_bucket.this.arn}/*"]` {
			t.Errorf("s3:PutObject on %s, want objects of this bucket", s.resources)
		}
	}
}
