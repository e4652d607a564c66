// Package e2e runs a real Kubernetes control plane on 127.0.0.1: etcd, kube-apiserver,
// kube-controller-manager and kube-scheduler built from pinned Go modules (tools/), with kwok
// faking the nodes and the pods' lifecycle. The end-to-end test of the chart carries the build tag
// `e2e` and runs with `make e2e` (docs/e2e.md).
package e2e

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/client-go/util/cert"
	"k8s.io/client-go/util/keyutil"
)

// serviceIP is the first address of --service-cluster-ip-range, which the API server gives to
// the `kubernetes` Service and which its certificate names.
const serviceIP = "10.96.0.1"

// Config says where the binaries are and where the cluster keeps its state.
type Config struct {
	KubeBinDir, EtcdBin, KwokBin string
	// KwokConfigs are kwok's Stage files that move fake nodes and pods through their lifecycle.
	KwokConfigs []string
	Dir         string // state: certificates, kubeconfig, etcd data, logs/<component>.log
	Logf        func(format string, args ...any)
}

// Cluster is a running control plane; Kubeconfig authenticates as a member of system:masters.
type Cluster struct {
	Kubeconfig string
	Client     kubernetes.Interface

	procs []*proc // in start order; stopped in reverse
}

type proc struct {
	name, log string
	cmd       *exec.Cmd
	done      chan struct{}
}

// Start brings the components up one after the other, each waiting for the one before it to be
// healthy; on error it stops what it started.
func Start(ctx context.Context, cfg Config) (c *Cluster, err error) {
	c = &Cluster{Kubeconfig: filepath.Join(cfg.Dir, "admin.kubeconfig")}
	defer func() {
		if err != nil {
			err, c = errors.Join(err, c.Stop()), nil
		}
	}()
	// Throw-away credentials, made per run: client-go's self-signed serving certificate (with
	// its CA), a service-account signing key, and an admin bearer token in system:masters.
	servingCert, servingKey, err := cert.GenerateSelfSignedCertKey("127.0.0.1", []net.IP{net.ParseIP(serviceIP)},
		[]string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"})
	saKey, keyErr := keyutil.MakeEllipticPrivateKeyPEM()
	if err = errors.Join(err, keyErr, os.MkdirAll(filepath.Join(cfg.Dir, "logs"), 0o700)); err != nil {
		return c, err
	}
	token := make([]byte, 16)
	rand.Read(token)
	file := func(name string, data []byte) string {
		p := filepath.Join(cfg.Dir, name)
		if err == nil {
			err = os.WriteFile(p, data, 0o600)
		}
		return p
	}
	certFile, keyFile, saFile := file("apiserver.crt", servingCert), file("apiserver.key", servingKey), file("sa.key", saKey)
	tokenFile := file("tokens.csv", []byte(hex.EncodeToString(token)+`,e2e-admin,e2e-admin,"system:masters"`+"\n"))
	if err != nil {
		return c, err
	}

	// Six distinct free ports, held together so none repeats, bound by a component a moment later.
	var ports [6]int
	var ls []net.Listener
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return c, err
		}
		ls, ports[i] = append(ls, l), l.Addr().(*net.TCPAddr).Port
	}
	for _, l := range ls {
		l.Close()
	}
	url := func(scheme string, i int) string {
		return scheme + "://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[i]))
	}
	etcdURL, peerURL := url("http", 0), url("http", 1)
	if err := c.start(ctx, cfg, "etcd", cfg.EtcdBin, httpCheck(http.DefaultClient, etcdURL+"/health", `"health":"true"`), "--name=e2e", "--data-dir="+filepath.Join(cfg.Dir, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL, "--initial-cluster=e2e="+peerURL,
		"--unsafe-no-fsync", "--log-level=warn"); err != nil { // throw-away data: fsync only slows the test down
		return c, err
	}

	kc := clientcmdapi.NewConfig()
	kc.Clusters["e2e"] = &clientcmdapi.Cluster{Server: url("https", 2), CertificateAuthorityData: servingCert}
	kc.AuthInfos["e2e-admin"] = &clientcmdapi.AuthInfo{Token: hex.EncodeToString(token)}
	kc.Contexts["e2e"] = &clientcmdapi.Context{Cluster: "e2e", AuthInfo: "e2e-admin", Namespace: "default"}
	kc.CurrentContext = "e2e"
	rc, err := clientcmd.NewDefaultClientConfig(*kc, nil).ClientConfig()
	if err = errors.Join(err, clientcmd.WriteToFile(*kc, c.Kubeconfig)); err != nil {
		return c, err
	}
	rc.QPS, rc.Burst = 100, 200
	if c.Client, err = kubernetes.NewForConfig(rc); err != nil {
		return c, err
	}
	readyz := func(ctx context.Context) error {
		_, err := c.Client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return err
	}
	if err := c.start(ctx, cfg, "kube-apiserver", filepath.Join(cfg.KubeBinDir, "kube-apiserver"), readyz,
		"--etcd-servers="+etcdURL, "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(ports[2]),
		// On loopback the default lease reconciler refuses the advertise address; nothing needs
		// the kubernetes Service's endpoints.
		"--endpoint-reconciler-type=none",
		"--tls-cert-file="+certFile, "--tls-private-key-file="+keyFile, "--token-auth-file="+tokenFile,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+saFile, "--service-account-signing-key-file="+saFile,
		"--service-cluster-ip-range=10.96.0.0/16", "--authorization-mode=Node,RBAC",
		"--allow-privileged=true", "--profiling=false"); err != nil {
		return c, err
	}

	// Both serve /healthz (always allowed) with a certificate they make themselves.
	insecure := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // loopback health probe of a throw-away cluster
	}}
	kube := []string{"--kubeconfig=" + c.Kubeconfig, "--authentication-kubeconfig=" + c.Kubeconfig,
		"--authorization-kubeconfig=" + c.Kubeconfig, "--bind-address=127.0.0.1", "--leader-elect=false", "--profiling=false"}
	for i, name := range []string{"kube-controller-manager", "kube-scheduler"} {
		args := append(kube, "--secure-port="+strconv.Itoa(ports[3+i]), "--cert-dir="+filepath.Join(cfg.Dir, name))
		if i == 0 {
			// Scale to the HPA's minReplicas quickly (without a metrics server, that is all it does).
			args = append(args, "--cluster-name=orderstack-e2e", "--horizontal-pod-autoscaler-sync-period=5s")
		}
		if err := c.start(ctx, cfg, name, filepath.Join(cfg.KubeBinDir, name), httpCheck(insecure, url("https", 3+i)+"/healthz", "ok"), args...); err != nil {
			return c, err
		}
	}

	return c, c.start(ctx, cfg, "kwok", cfg.KwokBin, httpCheck(http.DefaultClient, url("http", 5)+"/healthz", "ok"), "--kubeconfig="+c.Kubeconfig,
		"--config="+strings.Join(cfg.KwokConfigs, ","),
		"--manage-all-nodes=false", "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
		// Without node leases the node controller marks the fake nodes NotReady after its grace
		// period and evicts their pods.
		"--node-lease-duration-seconds=40",
		"--server-address="+strings.TrimPrefix(url("http", 5), "http://"), "--cidr=10.244.0.0/16")
}

// Stop stops the components in reverse start order: etcd last, since the API server's shutdown
// hangs if etcd goes first.
func (c *Cluster) Stop() error {
	var errs []error
	for i := len(c.procs) - 1; i >= 0; i-- {
		p := c.procs[i]
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
			errs = append(errs, fmt.Errorf("%s ignored SIGTERM for 20s and was killed", p.name))
		}
	}
	c.procs = nil
	return errors.Join(errs...)
}

// start runs bin in its own process group, which gets SIGKILL if the test binary dies, and polls
// check until it passes, failing early when the process exits; the error carries the tail of its log.
func (c *Cluster) start(ctx context.Context, cfg Config, name, bin string, check func(context.Context) error, args ...string) error {
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%s binary: %w (run `make e2e-tools`)", name, err)
	}
	p := &proc{name: name, log: filepath.Join(cfg.Dir, "logs", name+".log"), cmd: exec.Command(bin, args...), done: make(chan struct{})}
	log, err := os.Create(p.log)
	if err != nil {
		return err
	}
	p.cmd.Stdout, p.cmd.Stderr = log, log
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("start %s: %w", name, err)
	}
	go func() { p.cmd.Wait(); log.Close(); close(p.done) }()
	c.procs = append(c.procs, p)
	cfg.Logf("started %s (pid %d), log %s", name, p.cmd.Process.Pid, p.log)
	last := errors.New("not checked")
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 90*time.Second, true, func(ctx context.Context) (bool, error) {
		select {
		case <-p.done:
			return false, errors.New("exited")
		default:
		}
		last = check(ctx)
		return last == nil, nil
	})
	if err == nil {
		return nil
	}
	out, _ := os.ReadFile(p.log)
	return fmt.Errorf("%s not healthy: %w (last: %v); end of %s:\n%s", name, err, last, p.log, out[max(0, len(out)-3000):])
}

func httpCheck(client *http.Client, url, want string) func(context.Context) error {
	return func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			return fmt.Errorf("%s: %d %s", url, resp.StatusCode, body)
		}
		return nil
	}
}
