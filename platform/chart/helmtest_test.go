package chart

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

func TestHelmTestHook(t *testing.T) {
	for _, env := range environments {
		t.Run(env.name, func(t *testing.T) {
			r := mustRender(t, renderOptions{valueFiles: env.files})
			pod := one[corev1.Pod](t, r.hooks)
			svc := one[corev1.Service](t, r.objects)
			d := one[appsv1.Deployment](t, r.objects)
			app := container(t, d)

			if pod.Annotations["helm.sh/hook"] != "test" {
				t.Errorf("hook annotation = %q, want test", pod.Annotations["helm.sh/hook"])
			}
			if pod.Spec.RestartPolicy != corev1.RestartPolicyNever {
				t.Errorf("restartPolicy = %q, want Never", pod.Spec.RestartPolicy)
			}
			if len(pod.Spec.Containers) != 1 {
				t.Fatalf("test Pod has %d containers, want 1", len(pod.Spec.Containers))
			}
			c := pod.Spec.Containers[0]
			if c.Image != app.Image {
				t.Errorf("test image = %q, want the service's own image %q", c.Image, app.Image)
			}
			// The image's ENTRYPOINT is the orders binary: args run its healthcheck
			// subcommand against the Service's port 80.
			want := []string{"healthcheck", "-url", "http://" + svc.Name + ":80/readyz"}
			if len(c.Command) != 0 {
				t.Errorf("command = %v, want none (the image's ENTRYPOINT, the orders binary)", c.Command)
			}
			if diff := cmp.Diff(want, c.Args); diff != "" {
				t.Errorf("args (-want +got):\n%s", diff)
			}
			checkHardened(t, c)
			if diff := cmp.Diff(d.Spec.Template.Spec.SecurityContext, pod.Spec.SecurityContext); diff != "" {
				t.Errorf("test Pod securityContext differs from the service's (-service +test):\n%s", diff)
			}
			if pod.Spec.AutomountServiceAccountToken == nil || *pod.Spec.AutomountServiceAccountToken {
				t.Error("test Pod mounts a service account token")
			}
			if c.Resources.Limits.Memory().IsZero() || c.Resources.Requests.Cpu().IsZero() {
				t.Errorf("test Pod resources = %+v, want requests and limits", c.Resources)
			}
			// The Service must never send traffic to the test Pod.
			if labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(pod.Labels)) {
				t.Errorf("the Service selector %v matches the test Pod labels %v", svc.Spec.Selector, pod.Labels)
			}
		})
	}

	t.Run("disabled", func(t *testing.T) {
		r := mustRender(t, renderOptions{set: []string{"testEnabled=false"}})
		if len(r.hooks) != 0 {
			t.Errorf("testEnabled=false rendered %d hooks", len(r.hooks))
		}
	})
}
