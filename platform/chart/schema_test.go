package chart

import (
	"strings"
	"testing"
)

// schemaError is how Helm reports values that break values.schema.json.
const schemaError = "values don't meet the specifications of the schema"

// TestSchemaRejects: each bad value set fails rendering with a schema error
// naming the offending field, before any template runs.
func TestSchemaRejects(t *testing.T) {
	tests := []struct {
		name    string
		set     []string
		setJSON []string
		files   []string
		field   string // JSON pointer the error must name
	}{
		{name: "replicaCount 0", set: []string{"replicaCount=0"}, field: "/replicaCount"},
		{name: "replicaCount string", setJSON: []string{`replicaCount="3"`}, field: "/replicaCount"},
		{name: "replicaCount fraction", setJSON: []string{"replicaCount=1.5"}, field: "/replicaCount"},
		{name: "both minAvailable and maxUnavailable", set: []string{"podDisruptionBudget.minAvailable=1"}, field: "/podDisruptionBudget"},
		{name: "neither minAvailable nor maxUnavailable", setJSON: []string{"podDisruptionBudget.maxUnavailable=null"}, field: "/podDisruptionBudget"},
		{name: "maxUnavailable 0 blocks every drain", set: []string{"podDisruptionBudget.maxUnavailable=0"}, field: "/podDisruptionBudget"},
		{name: "maxUnavailable 0%", set: []string{"podDisruptionBudget.maxUnavailable=0%"}, field: "/podDisruptionBudget"},
		{name: "prod with both", files: []string{"values-prod.yaml"}, set: []string{"podDisruptionBudget.minAvailable=2"}, field: "/podDisruptionBudget"},
		{name: "digest too short", set: []string{"image.digest=sha256:abc123"}, field: "/image/digest"},
		{name: "digest without algorithm", set: []string{"image.digest=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}, field: "/image/digest"},
		{name: "digest upper case", set: []string{"image.digest=sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"}, field: "/image/digest"},
		{name: "tag with a colon", set: []string{"image.tag=v1:latest"}, field: "/image/tag"},
		{name: "empty repository", set: []string{"image.repository="}, field: "/image/repository"},
		{name: "bad pullPolicy", set: []string{"image.pullPolicy=Sometimes"}, field: "/image/pullPolicy"},
		{name: "missing existingSecret", setJSON: []string{"existingSecret=null"}, field: "existingSecret"},
		{name: "empty existingSecret", set: []string{"existingSecret="}, field: "/existingSecret"},
		{name: "existingSecret not a name", set: []string{"existingSecret=Orders_Secrets"}, field: "/existingSecret"},
		{name: "resources missing", setJSON: []string{"resources=null"}, field: "resources"},
		{name: "memory limit missing", setJSON: []string{"resources.limits.memory=null"}, field: "/resources/limits"},
		{name: "cpu request missing", setJSON: []string{"resources.requests.cpu=null"}, field: "/resources/requests"},
		{name: "memory not a quantity", set: []string{"resources.limits.memory=lots"}, field: "/resources/limits/memory"},
		{name: "unknown top-level key", set: []string{"replicas=3"}, field: "replicas"},
		{name: "typo in a nested key", set: []string{"autoscaling.maxReplica=9"}, field: "maxReplica"},
		{name: "bad log level", set: []string{"config.logLevel=verbose"}, field: "/config/logLevel"},
		{name: "negative drain", set: []string{"config.shutdownDrainDelaySeconds=-1"}, field: "/config/shutdownDrainDelaySeconds"},
		{name: "duration string for seconds", set: []string{"config.shutdownTimeoutSeconds=15s"}, field: "/config/shutdownTimeoutSeconds"},
		// The validator names the property but not always its path, for propertyNames.
		{name: "secret through extraEnv", set: []string{"extraEnv.MONGODB_URL=mongodb://x"}, field: "invalid propertyName 'MONGODB_URL'"},
		{name: "bad env name", set: []string{"extraEnv.1BAD=x"}, field: "invalid propertyName '1BAD'"},
		{name: "certificate ARN malformed", set: []string{"ingress.certificateArn=my-cert"}, field: "/ingress/certificateArn"},
		{name: "WAF ARN of a classic WAF", set: []string{"ingress.wafv2AclArn=arn:aws:waf::123456789012:webacl/abc"}, field: "/ingress/wafv2AclArn"},
		{name: "bad ALB scheme", set: []string{"ingress.scheme=public"}, field: "/ingress/scheme"},
		{name: "role ARN malformed", set: []string{"serviceAccount.roleArn=orders-role"}, field: "/serviceAccount/roleArn"},
		{name: "CIDR prefix 33", set: []string{"networkPolicy.albSourceCidrs={10.0.0.0/33}"}, field: "/networkPolicy/albSourceCidrs/0"},
		{name: "no CIDRs", setJSON: []string{"networkPolicy.albSourceCidrs=[]"}, field: "/networkPolicy/albSourceCidrs"},
		{name: "HPA target above 100", set: []string{"autoscaling.targetCPUUtilizationPercentage=150"}, field: "/autoscaling/targetCPUUtilizationPercentage"},
		{name: "HPA min 0", set: []string{"autoscaling.minReplicas=0"}, field: "/autoscaling/minReplicas"},
		{name: "error ratio above 1", setJSON: []string{"monitoring.errorRatioThreshold=5"}, field: "/monitoring/errorRatioThreshold"},
		{name: "runbook base with trailing slash", set: []string{"monitoring.runbookBaseUrl=https://github.com/orderstack/orderstack/blob/main/"}, field: "/monitoring/runbookBaseUrl"},
		{name: "grace period 0", set: []string{"terminationGracePeriodSeconds=0"}, field: "/terminationGracePeriodSeconds"},
		{name: "probe period 0", set: []string{"readinessProbe.periodSeconds=0"}, field: "/readinessProbe/periodSeconds"},
		{name: "relative CA mount path", set: []string{"mongodb.caMountPath=etc/orders/mongodb"}, field: "/mongodb/caMountPath"},
		{name: "CA mount path with a trailing slash", set: []string{"mongodb.caMountPath=/etc/orders/mongodb/"}, field: "/mongodb/caMountPath"},
		{name: "CA mount path with ..", set: []string{"mongodb.caMountPath=/etc/../tmp"}, field: "/mongodb/caMountPath"},
		{name: "CA mount path over the scratch /tmp", set: []string{"mongodb.caMountPath=/tmp"}, field: "/mongodb/caMountPath"},
		{name: "CA mount path root", set: []string{"mongodb.caMountPath=/"}, field: "/mongodb/caMountPath"},
		{name: "CA mount path missing", setJSON: []string{"mongodb.caMountPath=null"}, field: "caMountPath"},
		{name: "CA key not a Secret key", set: []string{"mongodb.caSecretKey=ca/crt"}, field: "/mongodb/caSecretKey"},
		{name: "typo in mongodb", set: []string{"mongodb.caFile=/x"}, field: "caFile"},
		{name: "zone spread policy typo", set: []string{"topologySpread.zoneWhenUnsatisfiable=Never"}, field: "/topologySpread/zoneWhenUnsatisfiable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := render(t, renderOptions{valueFiles: tt.files, set: tt.set, setJSON: tt.setJSON})
			if err == nil {
				t.Fatalf("render with %v %v succeeded, want a schema error", tt.set, tt.setJSON)
			}
			if !strings.Contains(err.Error(), schemaError) {
				t.Fatalf("render error is not a schema error:\n%v", err)
			}
			if !strings.Contains(err.Error(), tt.field) {
				t.Errorf("schema error does not name %s:\n%v", tt.field, err)
			}
		})
	}
}

// TestSchemaAccepts: legitimate variations pass the schema and render.
func TestSchemaAccepts(t *testing.T) {
	tests := []struct {
		name    string
		set     []string
		setJSON []string
	}{
		{name: "digest", set: []string{"image.digest=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}},
		{name: "ECR repository", set: []string{"image.repository=123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders"}},
		{name: "minAvailable percentage", set: []string{"podDisruptionBudget.minAvailable=50%"}, setJSON: []string{"podDisruptionBudget.maxUnavailable=null"}},
		{name: "PDB off ignores the pair", set: []string{"podDisruptionBudget.enabled=false", "podDisruptionBudget.minAvailable=1"}},
		{name: "fractional CPU as a number", setJSON: []string{"resources.limits.cpu=1.5"}},
		{name: "certificate, WAF and host", set: []string{"ingress.certificateArn=" + certARN, "ingress.wafv2AclArn=" + wafARN, "ingress.host=api.orders.example.com"}},
		{name: "IRSA role", set: []string{"serviceAccount.roleArn=arn:aws:iam::123456789012:role/orders"}},
		{name: "plain extra env", set: []string{"extraEnv.FEATURE_X=on"}},
		{name: "internal ALB", set: []string{"ingress.scheme=internal"}},
		{name: "no CA mount", set: []string{"mongodb.caSecretKey="}},
		{name: "other CA key and path", set: []string{"mongodb.caSecretKey=ca.pem", "mongodb.caMountPath=/var/run/mongo_ca-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := render(t, renderOptions{set: tt.set, setJSON: tt.setJSON}); err != nil {
				t.Errorf("render with %v %v: %v", tt.set, tt.setJSON, err)
			}
		})
	}
}
