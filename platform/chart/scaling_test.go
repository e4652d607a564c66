package chart

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestAutoscaling(t *testing.T) {
	for _, tt := range environments {
		t.Run(tt.name, func(t *testing.T) {
			r := mustRender(t, renderOptions{valueFiles: tt.files})
			hpa := one[autoscalingv2.HorizontalPodAutoscaler](t, r.objects)
			d := one[appsv1.Deployment](t, r.objects)

			ref := hpa.Spec.ScaleTargetRef
			if ref.APIVersion != "apps/v1" || ref.Kind != "Deployment" || ref.Name != d.Name {
				t.Errorf("scaleTargetRef = %+v, want the Deployment %s", ref, d.Name)
			}
			if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas < 1 || *hpa.Spec.MinReplicas > hpa.Spec.MaxReplicas {
				t.Fatalf("replicas %v..%d, want 1 <= min <= max", hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas)
			}
			if tt.name == "prod" && *hpa.Spec.MinReplicas < 3 {
				t.Errorf("prod minReplicas = %d, want >= 3 (one per zone)", *hpa.Spec.MinReplicas)
			}
			got := map[corev1.ResourceName]bool{}
			for _, m := range hpa.Spec.Metrics {
				if m.Type != autoscalingv2.ResourceMetricSourceType || m.Resource == nil || m.Resource.Target.Type != autoscalingv2.UtilizationMetricType || m.Resource.Target.AverageUtilization == nil {
					t.Errorf("metric %+v, want a Resource Utilization target", m)
					continue
				}
				got[m.Resource.Name] = true
			}
			if !got[corev1.ResourceCPU] || !got[corev1.ResourceMemory] {
				t.Errorf("HPA metrics cover %v, want cpu and memory", got)
			}
			// The HPA owns the count: a replicas field would fight it on every upgrade.
			if d.Spec.Replicas != nil {
				t.Errorf("Deployment replicas = %d with an HPA, want unset", *d.Spec.Replicas)
			}
		})
	}

	t.Run("disabled", func(t *testing.T) {
		r := mustRender(t, renderOptions{valueFiles: []string{"values-prod.yaml"}, set: []string{"autoscaling.enabled=false"}})
		if n := len(all[autoscalingv2.HorizontalPodAutoscaler](r.objects)); n != 0 {
			t.Errorf("autoscaling.enabled=false rendered %d HPAs", n)
		}
		d := one[appsv1.Deployment](t, r.objects)
		if d.Spec.Replicas == nil || *d.Spec.Replicas != 3 {
			t.Errorf("prod Deployment replicas = %v without HPA, want 3", d.Spec.Replicas)
		}
	})

	t.Run("min above max is refused", func(t *testing.T) {
		_, err := render(t, renderOptions{set: []string{"autoscaling.minReplicas=5", "autoscaling.maxReplicas=4"}})
		if err == nil {
			t.Fatal("render with minReplicas 5 > maxReplicas 4 succeeded")
		}
	})
}

func TestPodDisruptionBudget(t *testing.T) {
	tests := []struct {
		name          string
		files         []string
		set           []string
		setJSON       []string
		wantMin       string
		wantMax       string
		smallestScale int // fewest pods the environment can run
	}{
		{"default", nil, nil, nil, "", "1", 2},
		{"dev", []string{"values-dev.yaml"}, nil, nil, "", "1", 1},
		{"prod", []string{"values-prod.yaml"}, nil, nil, "", "1", 3},
		{"minAvailable instead", []string{"values-prod.yaml"}, []string{"podDisruptionBudget.minAvailable=2"}, []string{"podDisruptionBudget.maxUnavailable=null"}, "2", "", 3},
		{"percentage", nil, []string{"podDisruptionBudget.maxUnavailable=50%"}, nil, "", "50%", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustRender(t, renderOptions{valueFiles: tt.files, set: tt.set, setJSON: tt.setJSON})
			pdb := one[policyv1.PodDisruptionBudget](t, r.objects)
			d := one[appsv1.Deployment](t, r.objects)

			if (pdb.Spec.MinAvailable == nil) == (pdb.Spec.MaxUnavailable == nil) {
				t.Fatalf("PDB sets minAvailable %v and maxUnavailable %v: want exactly one", pdb.Spec.MinAvailable, pdb.Spec.MaxUnavailable)
			}
			str := func(v *intstr.IntOrString) string {
				if v == nil {
					return ""
				}
				return v.String()
			}
			if str(pdb.Spec.MinAvailable) != tt.wantMin || str(pdb.Spec.MaxUnavailable) != tt.wantMax {
				t.Errorf("PDB min %q max %q, want min %q max %q", str(pdb.Spec.MinAvailable), str(pdb.Spec.MaxUnavailable), tt.wantMin, tt.wantMax)
			}
			sel := labels.SelectorFromSet(pdb.Spec.Selector.MatchLabels)
			if sel.Empty() || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
				t.Errorf("PDB selector %v does not select the pods", sel)
			}
			// The budget must allow at least one eviction at the smallest scale,
			// or node drains (cluster upgrades) hang forever.
			allowed, err := intstr.GetScaledValueFromIntOrPercent(pdb.Spec.MaxUnavailable, tt.smallestScale, true)
			if pdb.Spec.MinAvailable != nil {
				var minAvail int
				minAvail, err = intstr.GetScaledValueFromIntOrPercent(pdb.Spec.MinAvailable, tt.smallestScale, true)
				allowed = tt.smallestScale - minAvail
			}
			if err != nil {
				t.Fatal(err)
			}
			if allowed < 1 {
				t.Errorf("at %d pods the PDB allows %d evictions; drains would block", tt.smallestScale, allowed)
			}
		})
	}
}
