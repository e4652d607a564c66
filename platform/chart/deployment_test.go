package chart

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The runtime contract of docs/development.md.
const (
	apiPort     = 3000
	metricsPort = 9090
	secretName  = "orders-secrets"
)

// container returns the service's container of the Deployment.
func container(tb testing.TB, d *appsv1.Deployment) corev1.Container {
	tb.Helper()
	cs := d.Spec.Template.Spec.Containers
	if len(cs) != 1 {
		tb.Fatalf("Deployment has %d containers, want 1", len(cs))
	}
	return cs[0]
}

// envVar returns the named variable of a container.
func envVar(tb testing.TB, c corev1.Container, name string) corev1.EnvVar {
	tb.Helper()
	for _, e := range c.Env {
		if e.Name == name {
			return e
		}
	}
	tb.Fatalf("container %s has no env %s", c.Name, name)
	return corev1.EnvVar{}
}

// containerPort resolves a probe or Service port (number or name) to a container port number.
func containerPort(tb testing.TB, c corev1.Container, p intstr.IntOrString) int32 {
	tb.Helper()
	if p.Type == intstr.Int {
		return p.IntVal
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return cp.ContainerPort
		}
	}
	tb.Fatalf("container %s has no port named %q", c.Name, p.StrVal)
	return 0
}

func TestDeploymentPolicy(t *testing.T) {
	for _, env := range environments {
		t.Run(env.name, func(t *testing.T) {
			r := mustRender(t, renderOptions{valueFiles: env.files})
			d := one[appsv1.Deployment](t, r.objects)
			pod := d.Spec.Template.Spec
			c := container(t, d)

			t.Run("selector matches the pod template", func(t *testing.T) {
				sel := labels.SelectorFromSet(d.Spec.Selector.MatchLabels)
				if !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
					t.Errorf("selector %v does not match pod labels %v", sel, d.Spec.Template.Labels)
				}
				for _, k := range []string{"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version", "app.kubernetes.io/managed-by", "helm.sh/chart"} {
					if d.Spec.Template.Labels[k] == "" {
						t.Errorf("pod label %s missing", k)
					}
				}
			})

			t.Run("rolling update never lowers capacity", func(t *testing.T) {
				s := d.Spec.Strategy
				if s.Type != appsv1.RollingUpdateDeploymentStrategyType || s.RollingUpdate == nil {
					t.Fatalf("strategy = %+v, want RollingUpdate", s)
				}
				if got := s.RollingUpdate.MaxUnavailable; got == nil || got.String() != "0" {
					t.Errorf("maxUnavailable = %v, want 0", got)
				}
				if got := s.RollingUpdate.MaxSurge; got == nil || got.String() == "0" || got.String() == "0%" {
					t.Errorf("maxSurge = %v, want > 0 (with maxUnavailable 0 a rollout could not progress)", got)
				}
			})

			t.Run("ports", func(t *testing.T) {
				// The service listens where the container ports say: PORT and METRICS_PORT
				// are the numbers of the ports named http and metrics.
				for env, port := range map[string]string{"PORT": "http", "METRICS_PORT": "metrics"} {
					want := strconv.Itoa(int(containerPort(t, c, intstr.FromString(port))))
					if got := envVar(t, c, env).Value; got != want {
						t.Errorf("env %s = %q, want %s (container port %s)", env, got, want, port)
					}
				}
			})

			t.Run("probes", func(t *testing.T) {
				probes := []struct {
					name string
					p    *corev1.Probe
					path string
				}{
					{"readiness", c.ReadinessProbe, "/readyz"},
					{"liveness", c.LivenessProbe, "/healthz"},
					{"startup", c.StartupProbe, "/healthz"},
				}
				for _, pr := range probes {
					if pr.p == nil || pr.p.HTTPGet == nil {
						t.Errorf("%s probe = %+v, want an httpGet probe", pr.name, pr.p)
						continue
					}
					if pr.p.HTTPGet.Path != pr.path {
						t.Errorf("%s probe path = %q, want %q", pr.name, pr.p.HTTPGet.Path, pr.path)
					}
					if got := containerPort(t, c, pr.p.HTTPGet.Port); got != apiPort {
						t.Errorf("%s probe port = %d, want %d", pr.name, got, apiPort)
					}
				}
				if c.StartupProbe != nil && c.StartupProbe.FailureThreshold*c.StartupProbe.PeriodSeconds < 10 {
					t.Errorf("startup probe allows %ds to start, want at least 10s", c.StartupProbe.FailureThreshold*c.StartupProbe.PeriodSeconds)
				}
			})

			t.Run("resources", func(t *testing.T) {
				for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
					req, okReq := c.Resources.Requests[name]
					lim, okLim := c.Resources.Limits[name]
					if !okReq || !okLim || req.IsZero() || lim.IsZero() {
						t.Errorf("%s request %v / limit %v: both must be set", name, req.String(), lim.String())
						continue
					}
					if req.Cmp(lim) > 0 {
						t.Errorf("%s request %v exceeds limit %v", name, req.String(), lim.String())
					}
				}
			})

			t.Run("Go runtime sized from the limits", func(t *testing.T) {
				for name, res := range map[string]string{"GOMAXPROCS": "limits.cpu", "GOMEMLIMIT": "limits.memory"} {
					ref := envVar(t, c, name).ValueFrom
					if ref == nil || ref.ResourceFieldRef == nil {
						t.Errorf("%s is not set from a resourceFieldRef", name)
						continue
					}
					f := ref.ResourceFieldRef
					if f.Resource != res || f.ContainerName != c.Name {
						t.Errorf("%s from %s of %q, want %s of %q", name, f.Resource, f.ContainerName, res, c.Name)
					}
					// GOMEMLIMIT without a unit is bytes and GOMAXPROCS is whole
					// CPUs: with any other divisor the number would mean something else.
					if f.Divisor.Cmp(resource.MustParse("1")) != 0 {
						t.Errorf("%s divisor = %v, want 1", name, f.Divisor.String())
					}
				}
			})

			t.Run("security context", func(t *testing.T) {
				psc := pod.SecurityContext
				if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
					t.Errorf("pod runAsNonRoot not true: %+v", psc)
				}
				if psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
					t.Errorf("pod seccompProfile not RuntimeDefault: %+v", psc)
				}
				checkHardened(t, c)
				if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
					t.Errorf("pod automountServiceAccountToken = %v, want false", pod.AutomountServiceAccountToken)
				}
				if pod.HostNetwork || pod.HostPID || pod.HostIPC {
					t.Error("pod uses host namespaces")
				}
			})

			t.Run("spread over zones and nodes", func(t *testing.T) {
				keys := map[string]bool{}
				for _, tsc := range pod.TopologySpreadConstraints {
					keys[tsc.TopologyKey] = true
					if tsc.MaxSkew < 1 {
						t.Errorf("%s maxSkew = %d", tsc.TopologyKey, tsc.MaxSkew)
					}
					// Without Honor, a lost zone's tainted nodes still count as a
					// domain with zero pods, and DoNotSchedule leaves new pods Pending.
					if tsc.NodeTaintsPolicy == nil || *tsc.NodeTaintsPolicy != corev1.NodeInclusionPolicyHonor {
						t.Errorf("%s nodeTaintsPolicy = %v, want Honor", tsc.TopologyKey, tsc.NodeTaintsPolicy)
					}
					sel := labels.SelectorFromSet(tsc.LabelSelector.MatchLabels)
					if tsc.LabelSelector == nil || sel.Empty() || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
						t.Errorf("%s labelSelector %v does not select the pods", tsc.TopologyKey, tsc.LabelSelector)
					}
				}
				for _, k := range []string{"topology.kubernetes.io/zone", "kubernetes.io/hostname"} {
					if !keys[k] {
						t.Errorf("no topologySpreadConstraint over %s", k)
					}
				}
			})

			if env.name == "prod" {
				t.Run("prod refuses to stack a zone", func(t *testing.T) {
					for _, tsc := range pod.TopologySpreadConstraints {
						if tsc.TopologyKey == "topology.kubernetes.io/zone" && tsc.WhenUnsatisfiable != corev1.DoNotSchedule {
							t.Errorf("prod zone spread whenUnsatisfiable = %s, want DoNotSchedule", tsc.WhenUnsatisfiable)
						}
					}
				})
			}

			t.Run("grace period exceeds drain plus shutdown", func(t *testing.T) {
				drain, err := time.ParseDuration(envVar(t, c, "SHUTDOWN_DRAIN_DELAY").Value)
				if err != nil {
					t.Fatal(err)
				}
				shutdown, err := time.ParseDuration(envVar(t, c, "SHUTDOWN_TIMEOUT").Value)
				if err != nil {
					t.Fatal(err)
				}
				if pod.TerminationGracePeriodSeconds == nil {
					t.Fatal("terminationGracePeriodSeconds not set")
				}
				grace := time.Duration(*pod.TerminationGracePeriodSeconds) * time.Second
				if grace <= drain+shutdown {
					t.Errorf("terminationGracePeriodSeconds %v <= drain %v + shutdown %v", grace, drain, shutdown)
				}
			})

			t.Run("secrets by reference", func(t *testing.T) {
				for _, name := range []string{"MONGODB_URL", "ADMIN_TOKEN"} {
					e := envVar(t, c, name)
					if e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
						t.Errorf("%s = %+v, want only a secretKeyRef", name, e)
						continue
					}
					ref := e.ValueFrom.SecretKeyRef
					if ref.Name != secretName || ref.Key != name {
						t.Errorf("%s from secret %s key %s, want %s key %s", name, ref.Name, ref.Key, secretName, name)
					}
				}
			})

			t.Run("image", func(t *testing.T) {
				if c.Image != "orders:0.1.0" {
					t.Errorf("image = %q, want the appVersion tag orders:0.1.0", c.Image)
				}
			})
		})
	}
}

// checkHardened asserts the container securityContext every pod of the chart must have.
func checkHardened(tb testing.TB, c corev1.Container) {
	tb.Helper()
	sc := c.SecurityContext
	if sc == nil {
		tb.Errorf("container %s has no securityContext", c.Name)
		return
	}
	if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		tb.Errorf("container %s runAsNonRoot not true", c.Name)
	}
	if sc.RunAsUser == nil || *sc.RunAsUser == 0 {
		tb.Errorf("container %s runAsUser = %v, want non-zero", c.Name, sc.RunAsUser)
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		tb.Errorf("container %s readOnlyRootFilesystem not true", c.Name)
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		tb.Errorf("container %s allowPrivilegeEscalation not false", c.Name)
	}
	if sc.Privileged != nil && *sc.Privileged {
		tb.Errorf("container %s is privileged", c.Name)
	}
	if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
		tb.Errorf("container %s capabilities = %+v, want drop ALL and add none", c.Name, sc.Capabilities)
	}
	if sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		tb.Errorf("container %s seccompProfile = %+v, want RuntimeDefault", c.Name, sc.SeccompProfile)
	}
}

func TestImageReference(t *testing.T) {
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	const repo = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders"
	tests := []struct {
		name string
		set  []string
		want string
	}{
		{"appVersion by default", nil, "orders:0.1.0"},
		{"tag", []string{"image.tag=1.2.3"}, "orders:1.2.3"},
		{"digest", []string{"image.repository=" + repo, "image.digest=" + digest}, repo + "@" + digest},
		{"digest wins over tag", []string{"image.repository=" + repo, "image.tag=1.2.3", "image.digest=" + digest}, repo + "@" + digest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustRender(t, renderOptions{set: tt.set})
			if got := container(t, one[appsv1.Deployment](t, r.objects)).Image; got != tt.want {
				t.Errorf("Deployment image = %q, want %q", got, tt.want)
			}
			for _, p := range all[corev1.Pod](r.hooks) {
				if got := p.Spec.Containers[0].Image; got != tt.want {
					t.Errorf("helm test Pod image = %q, want %q", got, tt.want)
				}
			}
		})
	}
}

func TestShutdownTimings(t *testing.T) {
	r := mustRender(t, renderOptions{set: []string{"config.shutdownDrainDelaySeconds=10", "config.shutdownTimeoutSeconds=25", "terminationGracePeriodSeconds=45"}})
	d := one[appsv1.Deployment](t, r.objects)
	c := container(t, d)
	got := []string{envVar(t, c, "SHUTDOWN_DRAIN_DELAY").Value, envVar(t, c, "SHUTDOWN_TIMEOUT").Value}
	if diff := cmp.Diff([]string{"10s", "25s"}, got); diff != "" {
		t.Errorf("shutdown env (-want +got):\n%s", diff)
	}
	if g := *d.Spec.Template.Spec.TerminationGracePeriodSeconds; g != 45 {
		t.Errorf("terminationGracePeriodSeconds = %d, want 45", g)
	}

	// A grace period that does not cover drain + shutdown is refused.
	_, err := render(t, renderOptions{set: []string{"terminationGracePeriodSeconds=20"}})
	if err == nil || !strings.Contains(err.Error(), "terminationGracePeriodSeconds (20) must exceed") {
		t.Errorf("render with grace 20s = %v, want the grace-period error", err)
	}
}
