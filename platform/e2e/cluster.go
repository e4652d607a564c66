package e2e

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

const (
	// ServiceClusterIPRange is the Service IP range; ServiceClusterIP is the first address in it,
	// which the API server gives to the `kubernetes` Service and which its certificate names.
	ServiceClusterIPRange = "10.96.0.0/16"
	ServiceClusterIP      = "10.96.0.1"

	// FakeNodeAnnotation marks the nodes kwok manages (--manage-nodes-with-annotation-selector).
	FakeNodeAnnotation = "kwok.x-k8s.io/node"

	// ZoneLabel is the well-known zone label that topology spread constraints use.
	ZoneLabel = "topology.kubernetes.io/zone"
)

// Config says where the binaries are and where the cluster keeps its state.
type Config struct {
	KubeBinDir string // kube-apiserver, kube-controller-manager, kube-scheduler
	EtcdBin    string // etcd
	KwokBin    string // kwok
	// KwokConfigs are kwok configuration files: the Stage objects that move fake nodes and pods
	// through their lifecycle (kwok does nothing without them).
	KwokConfigs []string
	// Dir is this run's state directory: PKI, kubeconfig, etcd data, logs.
	Dir string
	// Logf reports progress; nil discards it.
	Logf func(format string, args ...any)
}

// Cluster is a running control plane on 127.0.0.1: etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler and kwok, each a child process on a random free port.
type Cluster struct {
	Dir        string
	Kubeconfig string // admin kubeconfig (client certificate in system:masters)
	RESTConfig *rest.Config
	Client     kubernetes.Interface
	PKI        *PKI

	procs []*Process // in start order; stopped in reverse
	logf  func(format string, args ...any)
}

// Start brings the control plane up, each component waiting for the one before it to be healthy.
// On error everything already started is stopped again.
func Start(ctx context.Context, cfg Config) (c *Cluster, err error) {
	logf := cfg.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	c = &Cluster{Dir: cfg.Dir, logf: logf}
	defer func() {
		if err != nil {
			if stopErr := c.Stop(); stopErr != nil {
				err = errors.Join(err, stopErr)
			}
			c = nil
		}
	}()
	for _, sub := range []string{"logs", "etcd", "certs"} {
		if err := os.MkdirAll(filepath.Join(cfg.Dir, sub), 0o700); err != nil {
			return c, fmt.Errorf("create state dir: %w", err)
		}
	}
	c.PKI, err = NewPKI(filepath.Join(cfg.Dir, "pki"), 24*time.Hour)
	if err != nil {
		return c, err
	}

	ports, err := FreePorts(6)
	if err != nil {
		return c, err
	}
	etcdPort, etcdPeerPort, apiPort, cmPort, schedPort, kwokPort := ports[0], ports[1], ports[2], ports[3], ports[4], ports[5]
	etcdURL := "http://" + hostPort(etcdPort)
	etcdPeerURL := "http://" + hostPort(etcdPeerPort)

	etcd, err := c.start(ctx, "etcd", cfg.EtcdBin,
		"--name=e2e",
		"--data-dir="+filepath.Join(cfg.Dir, "etcd"),
		"--listen-client-urls="+etcdURL,
		"--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+etcdPeerURL,
		"--initial-advertise-peer-urls="+etcdPeerURL,
		"--initial-cluster=e2e="+etcdPeerURL,
		"--unsafe-no-fsync", // throw-away data; fsync only slows the test down
		"--log-level=warn",
	)
	if err != nil {
		return c, err
	}
	if err := waitHTTP(ctx, etcd, http.DefaultClient, etcdURL+"/health", `"health":"true"`); err != nil {
		return c, err
	}

	p := c.PKI
	apiURL := "https://" + hostPort(apiPort)
	api, err := c.start(ctx, "kube-apiserver", filepath.Join(cfg.KubeBinDir, "kube-apiserver"),
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(apiPort),
		// On loopback the default lease reconciler refuses the advertise address; nothing in
		// the cluster needs the kubernetes Service's endpoints.
		"--endpoint-reconciler-type=none",
		"--cert-dir="+filepath.Join(cfg.Dir, "certs", "kube-apiserver"),
		"--tls-cert-file="+p.ServingCert,
		"--tls-private-key-file="+p.ServingKey,
		"--client-ca-file="+p.CACert,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+p.SAPub,
		"--service-account-signing-key-file="+p.SAKey,
		"--service-cluster-ip-range="+ServiceClusterIPRange,
		"--authorization-mode=Node,RBAC",
		"--allow-privileged=true",
		"--profiling=false",
	)
	if err != nil {
		return c, err
	}
	c.Kubeconfig = filepath.Join(cfg.Dir, "admin.kubeconfig")
	if err := writeKubeconfig(c.Kubeconfig, apiURL, p); err != nil {
		return c, err
	}
	c.RESTConfig, err = clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
	if err != nil {
		return c, fmt.Errorf("load kubeconfig: %w", err)
	}
	c.RESTConfig.QPS, c.RESTConfig.Burst = 100, 200
	c.Client, err = kubernetes.NewForConfig(c.RESTConfig)
	if err != nil {
		return c, fmt.Errorf("client: %w", err)
	}
	if err := c.waitAPIServer(ctx, api); err != nil {
		return c, err
	}

	// The components serve /healthz (always allowed) over TLS with a self-signed certificate in
	// their --cert-dir; the health probe does not need to trust it.
	insecure := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // loopback health probe of a throw-away cluster
	}}
	cm, err := c.start(ctx, "kube-controller-manager", filepath.Join(cfg.KubeBinDir, "kube-controller-manager"),
		"--kubeconfig="+c.Kubeconfig,
		"--authentication-kubeconfig="+c.Kubeconfig,
		"--authorization-kubeconfig="+c.Kubeconfig,
		"--bind-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(cmPort),
		"--cert-dir="+filepath.Join(cfg.Dir, "certs", "kube-controller-manager"),
		"--leader-elect=false",
		"--service-account-private-key-file="+p.SAKey,
		"--root-ca-file="+p.CACert,
		"--use-service-account-credentials=true",
		"--cluster-name=orderstack-e2e",
		// Scale to the HPA's minReplicas quickly; there is no metrics server, so that is all it does.
		"--horizontal-pod-autoscaler-sync-period=5s",
		"--profiling=false",
	)
	if err != nil {
		return c, err
	}
	if err := waitHTTP(ctx, cm, insecure, "https://"+hostPort(cmPort)+"/healthz", "ok"); err != nil {
		return c, err
	}

	sched, err := c.start(ctx, "kube-scheduler", filepath.Join(cfg.KubeBinDir, "kube-scheduler"),
		"--kubeconfig="+c.Kubeconfig,
		"--authentication-kubeconfig="+c.Kubeconfig,
		"--authorization-kubeconfig="+c.Kubeconfig,
		"--bind-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(schedPort),
		"--cert-dir="+filepath.Join(cfg.Dir, "certs", "kube-scheduler"),
		"--leader-elect=false",
		"--profiling=false",
	)
	if err != nil {
		return c, err
	}
	if err := waitHTTP(ctx, sched, insecure, "https://"+hostPort(schedPort)+"/healthz", "ok"); err != nil {
		return c, err
	}

	kwok, err := c.start(ctx, "kwok", cfg.KwokBin,
		"--kubeconfig="+c.Kubeconfig,
		"--config="+strings.Join(cfg.KwokConfigs, ","),
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector="+FakeNodeAnnotation+"=fake",
		// Without node leases the node controller marks the fake nodes NotReady after its grace
		// period and evicts their pods.
		"--node-lease-duration-seconds=40",
		"--server-address="+hostPort(kwokPort),
		"--cidr=10.244.0.0/16",
	)
	if err != nil {
		return c, err
	}
	if err := waitHTTP(ctx, kwok, http.DefaultClient, "http://"+hostPort(kwokPort)+"/healthz", "ok"); err != nil {
		return c, err
	}
	return c, nil
}

// Stop stops the components in reverse start order: kwok, scheduler, controller manager, API
// server, and only then etcd (the API server's shutdown hangs if etcd goes first).
func (c *Cluster) Stop() error {
	var errs []error
	for i := len(c.procs) - 1; i >= 0; i-- {
		if err := c.procs[i].Stop(20 * time.Second); err != nil {
			errs = append(errs, err)
		}
	}
	c.procs = nil
	return errors.Join(errs...)
}

// Processes are the running components in start order.
func (c *Cluster) Processes() []*Process { return c.procs }

func (c *Cluster) start(ctx context.Context, name, bin string, args ...string) (*Process, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("%s binary: %w (run `make e2e-tools`)", name, err)
	}
	proc, err := StartProcess(name, filepath.Join(c.Dir, "logs", name+".log"), bin, args...)
	if err != nil {
		return nil, err
	}
	c.procs = append(c.procs, proc)
	c.logf("started %s (pid %d), log %s", name, proc.Pid(), proc.LogPath)
	return proc, nil
}

func (c *Cluster) waitAPIServer(ctx context.Context, api *Process) error {
	return poll(ctx, api, 90*time.Second, func() (bool, string) {
		body, err := c.Client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err != nil {
			return false, err.Error()
		}
		return strings.TrimSpace(string(body)) == "ok", string(body)
	})
}

// waitHTTP polls url until it answers 200 with a body containing want, failing early when the
// process exits.
func waitHTTP(ctx context.Context, proc *Process, client *http.Client, url, want string) error {
	return poll(ctx, proc, 90*time.Second, func() (bool, string) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false, err.Error()
		}
		resp, err := client.Do(req)
		if err != nil {
			return false, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return resp.StatusCode == http.StatusOK && strings.Contains(string(body), want),
			fmt.Sprintf("%s: %d %s", url, resp.StatusCode, body)
	})
}

func poll(ctx context.Context, proc *Process, timeout time.Duration, ready func() (bool, string)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	last := ""
	for {
		if exited, err := proc.Exited(); exited {
			return fmt.Errorf("%s exited (%v) before it was healthy; log tail:\n%s", proc.Name, err, proc.LogTail(30))
		}
		ok, detail := ready()
		if ok {
			return nil
		}
		last = detail
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not healthy after %s (last: %s); log tail:\n%s", proc.Name, timeout, last, proc.LogTail(30))
		case <-tick.C:
		}
	}
}

// FakeNode describes one kwok node.
type FakeNode struct {
	Name string
	Zone string
}

// FakeNodes names perZone nodes in each zone: <zone>-<i>.
func FakeNodes(zones []string, perZone int) []FakeNode {
	var nodes []FakeNode
	for _, z := range zones {
		for i := range perZone {
			nodes = append(nodes, FakeNode{Name: fmt.Sprintf("kwok-%s-%d", z, i), Zone: z})
		}
	}
	return nodes
}

// AddNodes registers fake nodes (4 CPUs, 16 GiB, 110 pods each) for kwok to manage and waits until
// every one is Ready.
func (c *Cluster) AddNodes(ctx context.Context, nodes []FakeNode) error {
	for _, n := range nodes {
		node := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{
				Name:        n.Name,
				Annotations: map[string]string{FakeNodeAnnotation: "fake"},
				Labels: map[string]string{
					"kubernetes.io/hostname":           n.Name,
					"kubernetes.io/os":                 "linux",
					"kubernetes.io/arch":               "amd64",
					"node.kubernetes.io/instance-type": "kwok",
					ZoneLabel:                          n.Zone,
					"topology.kubernetes.io/region":    "e2e",
					"type":                             "kwok",
				},
			},
			Status: corev1.NodeStatus{
				Capacity:    nodeResources(),
				Allocatable: nodeResources(),
			},
		}
		if _, err := c.Client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create node %s: %w", n.Name, err)
		}
	}
	kwok := c.procs[len(c.procs)-1]
	return poll(ctx, kwok, 60*time.Second, func() (bool, string) {
		list, err := c.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err.Error()
		}
		ready := 0
		for _, n := range list.Items {
			for _, cond := range n.Status.Conditions {
				if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
					ready++
				}
			}
		}
		return ready == len(nodes), fmt.Sprintf("%d of %d nodes Ready", ready, len(nodes))
	})
}

func nodeResources() corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("4"),
		corev1.ResourceMemory: resource.MustParse("16Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
}

func writeKubeconfig(path, server string, p *PKI) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["e2e"] = &clientcmdapi.Cluster{Server: server, CertificateAuthority: p.CACert}
	cfg.AuthInfos["e2e-admin"] = &clientcmdapi.AuthInfo{ClientCertificate: p.AdminCert, ClientKey: p.AdminKey}
	cfg.Contexts["e2e"] = &clientcmdapi.Context{Cluster: "e2e", AuthInfo: "e2e-admin", Namespace: "default"}
	cfg.CurrentContext = "e2e"
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("write kubeconfig: %w", err)
	}
	return nil
}

// FreePorts returns n distinct free TCP ports on 127.0.0.1. They are free when returned; a
// component binds them a moment later, which is good enough on a test machine.
func FreePorts(n int) ([]int, error) {
	var ports []int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func hostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
