package e2e

import (
	corev1 "k8s.io/api/core/v1"
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
