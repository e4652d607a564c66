package e2e

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// ReadyCount counts the pods that are Ready and not terminating, and all pods.
func ReadyCount(pods []*corev1.Pod) (ready, total int) {
	for _, p := range pods {
		total++
		if p.DeletionTimestamp != nil {
			continue
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				ready++
			}
		}
	}
	return ready, total
}

// ExpectedDisruptionsAllowed applies the disruption controller's rule (percentages round up) to a
// budget spec with all pods healthy.
func ExpectedDisruptionsAllowed(spec policyv1.PodDisruptionBudgetSpec, pods int32) (int32, error) {
	switch {
	case spec.MaxUnavailable != nil:
		n, err := intstr.GetScaledValueFromIntOrPercent(spec.MaxUnavailable, int(pods), true)
		if err != nil {
			return 0, err
		}
		return min(int32(n), pods), nil
	case spec.MinAvailable != nil:
		n, err := intstr.GetScaledValueFromIntOrPercent(spec.MinAvailable, int(pods), true)
		if err != nil {
			return 0, err
		}
		return max(pods-int32(n), 0), nil
	}
	return 0, fmt.Errorf("PDB sets neither minAvailable nor maxUnavailable")
}
