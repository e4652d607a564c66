//go:build e2e

package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"github.com/orderstack/orderstack/platform/internal/repo"
)

const (
	namespace   = "orders"
	releaseName = "orders"
	// fullname is what the chart names its objects for release "orders" of chart "orders".
	fullname = "orders"
	// Pinned image tags of the install and the upgrade; kwok runs no container, so they need not exist.
	imageRepo  = "registry.invalid/orderstack/orders"
	installTag = "1.0.0"
	upgradeTag = "1.0.1"
)

var zones = []string{"zone-a", "zone-b", "zone-c"}

// TestE2E deploys the orders chart with the prod values to a real control plane whose nodes and
// pods are faked by kwok, and checks what the chart promises: rollout, zone spread, disruption
// budget under a drain, the objects the API server must accept, an upgrade and a rollback without
// a dip in ready pods, surviving the loss of a zone, and that the server rejects a broken
// manifest. docs/e2e.md lists every check.
func TestE2E(t *testing.T) {
	env := loadEnv(t)
	phases := newPhaseClock(t)
	ctx := t.Context()

	runDir := newRunDir(t, env.workDir)

	var c *Cluster
	phases.run("control plane up (etcd, apiserver, controller-manager, scheduler, kwok)", func() {
		stages, err := kwokStages(ctx, env.kwokVersion)
		if err != nil {
			t.Fatal(err)
		}
		c, err = Start(ctx, Config{
			KubeBinDir:  env.kubeBin,
			EtcdBin:     filepath.Join(env.etcdBin, "etcd"),
			KwokBin:     filepath.Join(env.kwokBin, "kwok"),
			KwokConfigs: stages,
			Dir:         runDir,
			Logf:        t.Logf,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			start := time.Now()
			if err := c.Stop(); err != nil {
				t.Errorf("stop control plane: %v", err)
			}
			phases.record("teardown", time.Since(start))
		})
	})

	phases.run("6 fake nodes in 3 zones Ready", func() {
		if err := c.AddNodes(ctx, FakeNodes(zones, 2)); err != nil {
			t.Fatal(err)
		}
		info, err := c.Client.Discovery().ServerVersion()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("server version %s", info.GitVersion)
		if !strings.HasPrefix(info.GitVersion, "v1.") || strings.Contains(info.GitVersion, "master") {
			t.Fatalf("server version = %q, want a release version (built with the version ldflags)", info.GitVersion)
		}
	})

	k := newKube(t, c, runDir)

	phases.run("CRDs (monitoring.coreos.com generated, Percona from its module)", func() {
		k.installMonitoringCRDs(ctx, env.controllerGen)
		k.installPerconaCRDs(ctx)
	})

	phases.run("namespace (labels from Terraform: Pod Security, ALB readiness gate) and placeholder Secret", func() {
		k.createTerraformNamespace(ctx, env.root, "app", namespace)
		k.checkReadinessGateLabel(ctx, namespace)
		token := make([]byte, 16)
		if _, err := rand.Read(token); err != nil {
			t.Fatal(err)
		}
		secret := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "orders-secrets", Namespace: namespace},
			StringData: map[string]string{
				// Nothing listens there: kwok runs no container. A real value never enters git.
				"MONGODB_URL": "mongodb://mongodb.invalid:27017/orders",
				"ADMIN_TOKEN": hex.EncodeToString(token),
				// The chart mounts this key as the CA file MONGODB_URL names
				// (mongodb.caSecretKey); on a real kubelet a missing key keeps
				// the pods in ContainerCreating, so the placeholder has it too.
				"MONGODB_CA_CRT": "-----BEGIN CERTIFICATE-----\nplaceholder\n-----END CERTIFICATE-----\n",
			},
		}
		if _, err := c.Client.CoreV1().Secrets(namespace).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	})

	h := newHelm(t, c, runDir, namespace)
	chartDir := env.chartDir
	prodValues := []string{filepath.Join(chartDir, "values-prod.yaml"), kwokTimingValues(t, runDir)}

	var desired int32
	phases.run("helm install (prod values, --wait) and HPA scale to minReplicas", func() {
		rel := h.install(ctx, releaseName, chartDir, prodValues, imageValues(installTag))
		t.Logf("installed %s revision %d, chart %s", rel.Name, rel.Version, rel.Chart.Metadata.Version)
		hpa, err := c.Client.AutoscalingV2().HorizontalPodAutoscalers(namespace).Get(ctx, fullname, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("the prod values enable the HPA, but: %v", err)
		}
		desired = *hpa.Spec.MinReplicas
		// The Deployment leaves replicas to the HPA, which scales it to minReplicas even without a
		// metrics server.
		k.waitRollout(ctx, fullname, desired, imageRepo+":"+installTag)
	})

	phases.run("checks: spread, PDB, HPA, Service endpoints, monitoring", func() {
		k.checkZoneSpread(ctx, desired)
		k.checkPDB(ctx, desired)
		k.checkHPA(ctx, desired)
		k.checkEndpoints(ctx, desired)
		k.checkMonitoringObjects(ctx)
	})

	phases.run("drain: PDB allows one eviction and refuses the next", func() {
		k.checkDrain(ctx, desired)
	})

	phases.run("helm upgrade to a new image tag, watching ready pods", func() {
		d, err := c.Client.AppsV1().Deployments(namespace).Get(ctx, fullname, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if ru := d.Spec.Strategy.RollingUpdate; ru != nil {
			t.Logf("strategy %s maxUnavailable %v maxSurge %v", d.Spec.Strategy.Type, ru.MaxUnavailable, ru.MaxSurge)
		}
		dip := k.watchReady(ctx, desired, func() {
			rel := h.upgrade(ctx, releaseName, chartDir, prodValues, imageValues(upgradeTag))
			t.Logf("upgraded to revision %d", rel.Version)
			k.waitRollout(ctx, fullname, desired, imageRepo+":"+upgradeTag)
		})
		t.Logf("upgrade: fewest ready pods %d (desired %d), most pods %d, %d pod events; ready/total: %s",
			dip.minReady, desired, dip.maxPods, dip.events, strings.Join(dip.trace, " "))
		if dip.minReady < int(desired) {
			t.Errorf("during the upgrade only %d pods were ready, want never below %d", dip.minReady, desired)
		}
		if dip.maxPods <= int(desired) {
			t.Errorf("most pods during the upgrade = %d, want a surge above %d (a rollout happened)", dip.maxPods, desired)
		}
		k.checkZoneSpread(ctx, desired)
	})

	phases.run("helm rollback to revision 1", func() {
		dip := k.watchReady(ctx, desired, func() {
			h.rollback(ctx, releaseName, 1)
			k.waitRollout(ctx, fullname, desired, imageRepo+":"+installTag)
		})
		t.Logf("rollback: fewest ready pods %d (desired %d); ready/total: %s", dip.minReady, desired, strings.Join(dip.trace, " "))
		if dip.minReady < int(desired) {
			t.Errorf("during the rollback only %d pods were ready, want never below %d", dip.minReady, desired)
		}
		h.checkHistory(releaseName, []string{"superseded", "superseded", "deployed"})
		k.checkZoneSpread(ctx, desired)
	})

	phases.run("zone outage: zone-a tainted, its pod deleted, replacement lands in another zone", func() {
		k.checkZoneOutage(ctx, desired, zones[0])
	})

	phases.run("server-side dry runs: broken Deployment rejected, hooks accepted", func() {
		k.checkBrokenManifestRejected(ctx)
		h.checkHooksAccepted(ctx, k, releaseName)
	})

	phases.run("MongoDB chart: server-side dry run against the Percona CRD", func() {
		k.checkMongoDBChart(ctx, h, filepath.Join(env.root, "deploy", "mongodb", "cluster"))
	})

	phases.run("restore drill: its backup and restore objects, server-side dry run against the Percona CRDs", func() {
		k.checkRestoreDrillObjects(ctx, env.root)
	})

	phases.run("teardown: backups with percona.com/delete-backup, no operator; pre-destroy.sh; namespace mongodb deletes", func() {
		k.checkTeardown(ctx, env.root, runDir)
	})
}

// e2eEnv is what `make e2e` passes in.
type e2eEnv struct {
	root, workDir              string
	kubeBin, etcdBin, kwokBin  string
	kwokVersion, controllerGen string
	chartDir                   string
}

func loadEnv(t *testing.T) e2eEnv {
	t.Helper()
	root := repo.Root(t)
	get := func(name string) string {
		v := os.Getenv(name)
		if v == "" {
			t.Fatalf("%s is not set: run the e2e test with `make e2e` (docs/e2e.md)", name)
		}
		return v
	}
	env := e2eEnv{
		root:          root,
		kubeBin:       get("E2E_KUBE_BIN"),
		etcdBin:       get("E2E_ETCD_BIN"),
		kwokBin:       get("E2E_KWOK_BIN"),
		kwokVersion:   get("E2E_KWOK_VERSION"),
		controllerGen: get("E2E_CONTROLLER_GEN"),
		workDir:       os.Getenv("E2E_WORKDIR"),
	}
	if env.workDir == "" {
		env.workDir = filepath.Join(root, ".e2e")
	}
	// E2E_CHART_DIR runs the test against another copy of the chart (e.g. to see a check fail).
	env.chartDir = os.Getenv("E2E_CHART_DIR")
	if env.chartDir == "" {
		env.chartDir = filepath.Join(root, "deploy", "helm", "orders")
	}
	return env
}

// newRunDir makes a fresh state directory under workDir (removing earlier runs') and removes it
// again after a passing run; a failed run's logs stay for inspection.
func newRunDir(t *testing.T, workDir string) string {
	t.Helper()
	old, _ := filepath.Glob(filepath.Join(workDir, "run-*"))
	for _, d := range old {
		os.RemoveAll(d)
	}
	if err := os.MkdirAll(workDir, 0o700); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp(workDir, "run-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("state and component logs kept in %s", dir)
			return
		}
		os.RemoveAll(dir)
	})
	return dir
}

// kwokTimingValues writes the one values overlay the test adds to values-prod.yaml: pod
// annotations that tell kwok how long a pod takes to start and become Ready (100-500 ms to be
// created, then 1-2 s to Ready). A pod that is not Ready at once is what makes a rollout
// strategy that allows unavailability show a dip; the annotations change nothing else.
func kwokTimingValues(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "e2e-values.yaml")
	overlay := `podAnnotations:
  pod-create.stage.kwok.x-k8s.io/delay: 100ms
  pod-create.stage.kwok.x-k8s.io/jitter-delay: 500ms
  pod-ready.stage.kwok.x-k8s.io/delay: 1s
  pod-ready.stage.kwok.x-k8s.io/jitter-delay: 2s
`
	if err := os.WriteFile(path, []byte(overlay), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func imageValues(tag string) []string {
	return []string{"image.repository=" + imageRepo, "image.tag=" + tag, "image.digest="}
}

// phaseClock runs the test's phases in order, stops at the first failing one, and prints how long
// each took.
type phaseClock struct {
	t     *testing.T
	mu    sync.Mutex
	names []string
	took  []time.Duration
	start time.Time
}

func newPhaseClock(t *testing.T) *phaseClock {
	p := &phaseClock{t: t, start: time.Now()}
	t.Cleanup(p.print)
	return p
}

func (p *phaseClock) run(name string, f func()) {
	p.t.Helper()
	p.t.Logf("=== phase: %s", name)
	start := time.Now()
	// Deferred, so a phase that calls t.Fatal (runtime.Goexit) is timed too.
	defer func() { p.record(name, time.Since(start)) }()
	f()
	if p.t.Failed() {
		p.t.FailNow()
	}
}

func (p *phaseClock) record(name string, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.names = append(p.names, name)
	p.took = append(p.took, d)
}

func (p *phaseClock) print() {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	b.WriteString("phase timings:\n")
	for i, n := range p.names {
		fmt.Fprintf(&b, "  %7.1fs  %s\n", p.took[i].Seconds(), n)
	}
	fmt.Fprintf(&b, "  %7.1fs  total\n", time.Since(p.start).Seconds())
	// Straight to stdout as well, so the numbers show even without -v.
	fmt.Print(b.String())
}

type dipReport struct {
	minReady, maxPods, events int
	// trace is each change of "ready/total" pods, in order.
	trace []string
}

// watchReady runs f while an informer watches the release's pods, and reports the fewest Ready
// (and not terminating) pods seen after any pod event, and the most pods that existed at once.
func (k *kube) watchReady(ctx context.Context, desired int32, f func()) dipReport {
	k.t.Helper()
	factory := informers.NewSharedInformerFactoryWithOptions(k.c.Client, 0,
		informers.WithNamespace(namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = selector().String() }))
	podInformer := factory.Core().V1().Pods()
	lister := podInformer.Lister()

	var mu sync.Mutex
	report := dipReport{minReady: -1}
	observe := func() {
		pods, err := lister.List(labels.Everything())
		if err != nil {
			return
		}
		ready, total := ReadyCount(pods)
		mu.Lock()
		defer mu.Unlock()
		report.events++
		if report.minReady < 0 || ready < report.minReady {
			report.minReady = ready
		}
		report.maxPods = max(report.maxPods, total)
		step := fmt.Sprintf("%d/%d", ready, total)
		if n := len(report.trace); n == 0 || report.trace[n-1] != step {
			report.trace = append(report.trace, step)
		}
	}
	handler := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { observe() },
		UpdateFunc: func(any, any) { observe() },
		DeleteFunc: func(any) { observe() },
	}
	if _, err := podInformer.Informer().AddEventHandler(handler); err != nil {
		k.t.Fatal(err)
	}
	stop := make(chan struct{})
	factory.Start(stop)
	defer func() {
		close(stop)
		factory.Shutdown()
	}()
	if !cache.WaitForCacheSync(ctx.Done(), podInformer.Informer().HasSynced) {
		k.t.Fatal("pod informer did not sync")
	}
	observe()
	mu.Lock()
	if report.minReady < int(desired) {
		mu.Unlock()
		k.t.Fatalf("only %d pods ready before the change, want %d", report.minReady, desired)
	}
	mu.Unlock()

	f()
	observe()
	mu.Lock()
	defer mu.Unlock()
	return report
}

func selector() labels.Selector {
	return labels.SelectorFromSet(labels.Set{
		"app.kubernetes.io/name":     "orders",
		"app.kubernetes.io/instance": releaseName,
	})
}

// waitRollout waits until the Deployment has desired replicas, all updated, ready and available,
// running image, and no old pods are left.
func (k *kube) waitRollout(ctx context.Context, name string, desired int32, image string) {
	k.t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
		d, err := k.c.Client.AppsV1().Deployments(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		s := d.Status
		last = fmt.Sprintf("spec.replicas=%d observed=%d/%d replicas=%d updated=%d ready=%d available=%d",
			ptrVal(d.Spec.Replicas), s.ObservedGeneration, d.Generation, s.Replicas, s.UpdatedReplicas, s.ReadyReplicas, s.AvailableReplicas)
		if ptrVal(d.Spec.Replicas) != desired || s.ObservedGeneration < d.Generation ||
			s.Replicas != desired || s.UpdatedReplicas != desired || s.AvailableReplicas != desired {
			return false, nil
		}
		pods, err := k.listPods(ctx)
		if err != nil {
			return false, err
		}
		ready, total := ReadyCount(pods)
		last += fmt.Sprintf(" pods=%d podsReady=%d", total, ready)
		// Terminating pods count too: the rollout is over when only the new pods are left.
		if total != int(desired) || ready != int(desired) {
			return false, nil
		}
		for _, p := range pods {
			if got := p.Spec.Containers[0].Image; got != image {
				last += fmt.Sprintf(" pod %s runs %s", p.Name, got)
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		k.t.Fatalf("rollout of %s to %d x %s: %v (last: %s)", name, desired, image, err, last)
	}
}

func ptrVal[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func (k *kube) pods(ctx context.Context) []*corev1.Pod {
	k.t.Helper()
	pods, err := k.listPods(ctx)
	if err != nil {
		k.t.Fatal(err)
	}
	return pods
}

// listPods lists the release's pods; for poll conditions, which must not call t.Fatal.
func (k *kube) listPods(ctx context.Context) ([]*corev1.Pod, error) {
	list, err := k.c.Client.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector().String()})
	if err != nil {
		return nil, err
	}
	pods := make([]*corev1.Pod, 0, len(list.Items))
	for i := range list.Items {
		pods = append(pods, &list.Items[i])
	}
	return pods, nil
}

// checkZoneSpread: the ready pods sit on distinct nodes, every zone has one, and no two zones
// differ by more than one pod (topologySpread.maxSkew 1, DoNotSchedule across zones in prod).
func (k *kube) checkZoneSpread(ctx context.Context, desired int32) {
	k.t.Helper()
	zoneOf := k.nodeZones(ctx)
	perZone := map[string]int{}
	for _, z := range zones {
		perZone[z] = 0
	}
	perNode := map[string]int{}
	for _, p := range k.pods(ctx) {
		if p.DeletionTimestamp != nil {
			continue
		}
		if p.Spec.NodeName == "" {
			k.t.Errorf("pod %s is not scheduled", p.Name)
			continue
		}
		perZone[zoneOf[p.Spec.NodeName]]++
		perNode[p.Spec.NodeName]++
	}
	counts := make([]int, 0, len(perZone))
	for _, n := range perZone {
		counts = append(counts, n)
	}
	sort.Ints(counts)
	k.t.Logf("pods per zone: %v, per node: %v", perZone, perNode)
	if counts[len(counts)-1]-counts[0] > 1 {
		k.t.Errorf("pods per zone %v: skew %d, want at most 1", perZone, counts[len(counts)-1]-counts[0])
	}
	if int(desired) >= len(zones) && counts[0] == 0 {
		k.t.Errorf("pods per zone %v: a zone without pods although there are %d replicas", perZone, desired)
	}
	for node, n := range perNode {
		if n > 1 && len(perNode) < len(zoneOf) {
			k.t.Errorf("node %s has %d pods while other nodes have none", node, n)
		}
	}
}

// checkZoneOutage simulates losing a zone: its nodes get a NoSchedule taint (what an unreachable
// zone's nodes get) and its pods are deleted (what the NoExecute taint does after its toleration
// runs out). The replacements must be scheduled in the surviving zones instead of staying Pending:
// with DoNotSchedule across zones that needs the tainted nodes to not count as a domain
// (nodeTaintsPolicy: Honor).
func (k *kube) checkZoneOutage(ctx context.Context, desired int32, lost string) {
	k.t.Helper()
	nodes, err := k.c.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: ZoneLabel + "=" + lost})
	if err != nil {
		k.t.Fatal(err)
	}
	taint := corev1.Taint{Key: "e2e.orderstack.dev/zone-down", Value: lost, Effect: corev1.TaintEffectNoSchedule}
	setTaint := func(on bool) {
		for _, n := range nodes.Items {
			node, err := k.c.Client.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
			if err != nil {
				k.t.Fatal(err)
			}
			node.Spec.Taints = slices.DeleteFunc(node.Spec.Taints, func(t corev1.Taint) bool { return t.Key == taint.Key })
			if on {
				node.Spec.Taints = append(node.Spec.Taints, taint)
			}
			if _, err := k.c.Client.CoreV1().Nodes().Update(ctx, node, metav1.UpdateOptions{}); err != nil {
				k.t.Fatalf("taint %s: %v", n.Name, err)
			}
		}
	}
	setTaint(true)
	defer setTaint(false)

	inLost := map[string]bool{}
	for _, n := range nodes.Items {
		inLost[n.Name] = true
	}
	deleted := 0
	for _, p := range k.pods(ctx) {
		if inLost[p.Spec.NodeName] {
			if err := k.c.Client.CoreV1().Pods(namespace).Delete(ctx, p.Name, metav1.DeleteOptions{}); err != nil {
				k.t.Fatal(err)
			}
			deleted++
		}
	}
	if deleted == 0 {
		k.t.Fatalf("no pod in zone %s to lose", lost)
	}

	var last string
	err = wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		pods, err := k.listPods(ctx)
		if err != nil {
			return false, err
		}
		ready, _ := ReadyCount(pods)
		var notes []string
		live := 0
		for _, p := range pods {
			if p.DeletionTimestamp != nil {
				continue
			}
			live++
			if p.Spec.NodeName == "" {
				for _, c := range p.Status.Conditions {
					if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
						notes = append(notes, fmt.Sprintf("%s Pending: %s", p.Name, c.Message))
					}
				}
			}
		}
		last = fmt.Sprintf("%d of %d live pods ready; %s", ready, live, strings.Join(notes, "; "))
		return ready == int(desired) && live == int(desired), nil
	})
	if err != nil {
		k.t.Fatalf("after losing zone %s the Deployment did not get back to %d ready pods: %s", lost, desired, last)
	}
	perZone := k.podsPerZone(ctx)
	k.t.Logf("zone %s lost (%d pod deleted): pods per zone %v", lost, deleted, perZone)
	if perZone[lost] != 0 {
		k.t.Errorf("%d pods in the lost zone %s, want 0", perZone[lost], lost)
	}
	var surviving []int
	for _, z := range zones {
		if z != lost {
			surviving = append(surviving, perZone[z])
		}
	}
	if slices.Max(surviving)-slices.Min(surviving) > 1 {
		k.t.Errorf("pods per surviving zone %v, want at most one apart", perZone)
	}
}

// nodeZones maps each node to its zone label.
func (k *kube) nodeZones(ctx context.Context) map[string]string {
	k.t.Helper()
	nodes, err := k.c.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		k.t.Fatal(err)
	}
	zoneOf := map[string]string{}
	for _, n := range nodes.Items {
		zoneOf[n.Name] = n.Labels[ZoneLabel]
	}
	return zoneOf
}

func (k *kube) podsPerZone(ctx context.Context) map[string]int {
	k.t.Helper()
	zoneOf := k.nodeZones(ctx)
	perZone := map[string]int{}
	for _, p := range k.pods(ctx) {
		if p.DeletionTimestamp == nil && p.Spec.NodeName != "" {
			perZone[zoneOf[p.Spec.NodeName]]++
		}
	}
	return perZone
}

// checkPDB: the disruption controller has computed the budget for desired healthy pods (its
// rounding is Kubernetes' own: chart TestPodDisruptionBudget checks the spec offline), and the
// result lets drains proceed while protecting something.
func (k *kube) checkPDB(ctx context.Context, desired int32) {
	k.t.Helper()
	var pdb *policyv1.PodDisruptionBudget
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		var err error
		pdb, err = k.c.Client.PolicyV1().PodDisruptionBudgets(namespace).Get(ctx, fullname, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		s := pdb.Status
		return s.ObservedGeneration == pdb.Generation && s.ExpectedPods == desired && s.CurrentHealthy == desired, nil
	})
	if err != nil {
		k.t.Fatalf("PDB %s: %v; status %+v, want %d healthy pods", fullname, err, pdb.Status, desired)
	}
	k.t.Logf("PDB: minAvailable %v maxUnavailable %v -> disruptionsAllowed %d, desiredHealthy %d, currentHealthy %d",
		pdb.Spec.MinAvailable, pdb.Spec.MaxUnavailable, pdb.Status.DisruptionsAllowed, pdb.Status.DesiredHealthy, pdb.Status.CurrentHealthy)
	if pdb.Status.DisruptionsAllowed < 1 {
		k.t.Errorf("PDB allows %d disruptions with all %d pods healthy: node drains would block", pdb.Status.DisruptionsAllowed, desired)
	}
	if pdb.Status.DisruptionsAllowed >= desired {
		k.t.Errorf("PDB allows %d disruptions of %d pods: it protects nothing", pdb.Status.DisruptionsAllowed, desired)
	}
}

// checkDrain evicts pods the way `kubectl drain` does, with every node cordoned so replacements
// cannot become ready: the budget lets exactly disruptionsAllowed pods go and refuses the next.
func (k *kube) checkDrain(ctx context.Context, desired int32) {
	k.t.Helper()
	pdb, err := k.c.Client.PolicyV1().PodDisruptionBudgets(namespace).Get(ctx, fullname, metav1.GetOptions{})
	if err != nil {
		k.t.Fatal(err)
	}
	allowed := int(pdb.Status.DisruptionsAllowed)
	k.setUnschedulable(ctx, true)
	defer k.setUnschedulable(ctx, false)

	pods := k.pods(ctx)
	if len(pods) < allowed+1 {
		k.t.Fatalf("%d pods, need %d to test the budget", len(pods), allowed+1)
	}
	for i, p := range pods[:allowed+1] {
		err := k.c.Client.PolicyV1().Evictions(namespace).Evict(ctx, &policyv1.Eviction{
			ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: namespace},
		})
		switch {
		case i < allowed && err != nil:
			k.t.Fatalf("eviction %d of %d allowed (pod %s): %v", i+1, allowed, p.Name, err)
		case i == allowed && err == nil:
			k.t.Fatalf("eviction %d (pod %s) succeeded, want the PDB to refuse it (only %d allowed)", i+1, p.Name, allowed)
		case i == allowed && !apierrors.IsTooManyRequests(err):
			k.t.Fatalf("eviction %d (pod %s): %v, want 429 Too Many Requests from the PDB", i+1, p.Name, err)
		case i == allowed:
			k.t.Logf("eviction %d refused as expected: %v", i+1, err)
		}
	}
	k.setUnschedulable(ctx, false)
	k.waitRollout(ctx, fullname, desired, imageRepo+":"+installTag)
	k.checkPDB(ctx, desired)
}

func (k *kube) setUnschedulable(ctx context.Context, on bool) {
	k.t.Helper()
	nodes, err := k.c.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		k.t.Fatal(err)
	}
	patch := fmt.Appendf(nil, `{"spec":{"unschedulable":%t}}`, on)
	for _, n := range nodes.Items {
		if _, err := k.c.Client.CoreV1().Nodes().Patch(ctx, n.Name, "application/merge-patch+json", patch, metav1.PatchOptions{}); err != nil {
			k.t.Fatalf("cordon=%t %s: %v", on, n.Name, err)
		}
	}
}

// checkHPA: the HPA targets the Deployment and the controller has acted on it (scaled to min).
func (k *kube) checkHPA(ctx context.Context, desired int32) {
	k.t.Helper()
	hpa, err := k.c.Client.AutoscalingV2().HorizontalPodAutoscalers(namespace).Get(ctx, fullname, metav1.GetOptions{})
	if err != nil {
		k.t.Fatal(err)
	}
	if ref := hpa.Spec.ScaleTargetRef; ref.Kind != "Deployment" || ref.Name != fullname {
		k.t.Errorf("HPA targets %s/%s, want Deployment/%s", ref.Kind, ref.Name, fullname)
	}
	if hpa.Spec.MaxReplicas < desired {
		k.t.Errorf("HPA maxReplicas %d < minReplicas %d", hpa.Spec.MaxReplicas, desired)
	}
	if hpa.Status.DesiredReplicas != desired || hpa.Status.LastScaleTime == nil {
		k.t.Errorf("HPA status desiredReplicas=%d lastScaleTime=%v, want the controller to have scaled to %d",
			hpa.Status.DesiredReplicas, hpa.Status.LastScaleTime, desired)
	}
	var metricsNames []string
	for _, m := range hpa.Spec.Metrics {
		if m.Resource != nil {
			metricsNames = append(metricsNames, string(m.Resource.Name))
		}
	}
	k.t.Logf("HPA %d..%d on %v (no metrics server here: it only enforces the bounds)", *hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas, metricsNames)
}

// checkEndpoints: the Service selects exactly the ready pods, on the http and metrics ports
// (the EndpointSlice controller is real; kwok gives pods IPs).
func (k *kube) checkEndpoints(ctx context.Context, desired int32) {
	k.t.Helper()
	var ready int
	var ports []string
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		slices, err := k.c.Client.DiscoveryV1().EndpointSlices(namespace).List(ctx, metav1.ListOptions{
			LabelSelector: discoveryv1.LabelServiceName + "=" + fullname,
		})
		if err != nil {
			return false, err
		}
		ready, ports = 0, nil
		for _, s := range slices.Items {
			for _, p := range s.Ports {
				ports = append(ports, fmt.Sprintf("%s:%d", ptrVal(p.Name), ptrVal(p.Port)))
			}
			for _, e := range s.Endpoints {
				if ptrVal(e.Conditions.Ready) {
					ready++
				}
			}
		}
		return ready == int(desired), nil
	})
	if err != nil {
		k.t.Fatalf("Service %s has %d ready endpoints, want %d: %v", fullname, ready, desired, err)
	}
	slices.Sort(ports)
	if !slices.Contains(ports, "http:3000") || !slices.Contains(ports, "metrics:9090") {
		k.t.Errorf("Service endpoint ports %v, want http:3000 and metrics:9090", ports)
	}
}
