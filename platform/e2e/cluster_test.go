package e2e

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// These tests run in `make test` (no build tag): they check the harness pieces that need no
// control plane, so a broken harness shows up before anyone waits for `make e2e`.

func readCert(tb testing.TB, path string) *x509.Certificate {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		tb.Fatalf("%s: no CERTIFICATE block", path)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		tb.Fatal(err)
	}
	return cert
}

func TestNewPKI(t *testing.T) {
	p, err := NewPKI(t.TempDir(), time.Hour)
	if err != nil {
		t.Fatalf("NewPKI() error = %v", err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(readCert(t, p.CACert))

	serving := readCert(t, p.ServingCert)
	for _, name := range []string{"127.0.0.1", "localhost", "kubernetes.default.svc", ServiceClusterIP} {
		if _, err := serving.Verify(x509.VerifyOptions{DNSName: name, Roots: roots}); err != nil {
			t.Errorf("serving cert does not verify for %q: %v", name, err)
		}
	}
	if _, err := serving.Verify(x509.VerifyOptions{DNSName: "example.com", Roots: roots}); err == nil {
		t.Errorf("serving cert verifies for example.com, want it limited to the cluster names")
	}

	admin := readCert(t, p.AdminCert)
	if _, err := admin.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("admin cert is not a client cert of the CA: %v", err)
	}
	if diff := cmp.Diff([]string{"system:masters"}, admin.Subject.Organization); diff != "" {
		t.Errorf("admin cert organization (-want +got):\n%s", diff)
	}

	if _, err := tls.LoadX509KeyPair(p.AdminCert, p.AdminKey); err != nil {
		t.Errorf("admin cert and key do not match: %v", err)
	}
	// The service-account public key must be the public half of the signing key.
	keyPEM, err := os.ReadFile(p.SAKey)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(keyPEM)
	priv, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatalf("parse sa.key: %v", err)
	}
	pubPEM, err := os.ReadFile(p.SAPub)
	if err != nil {
		t.Fatal(err)
	}
	block, _ = pem.Decode(pubPEM)
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatalf("parse sa.pub: %v", err)
	}
	type publicKey interface{ Equal(crypto.PublicKey) bool }
	if !priv.(crypto.Signer).Public().(publicKey).Equal(pub) {
		t.Errorf("sa.pub is not the public key of sa.key")
	}
	for _, f := range []string{p.AdminKey, p.ServingKey, p.SAKey} {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s mode = %v, want no group/other access", filepath.Base(f), st.Mode().Perm())
		}
	}
}

// TestKubeconfigMutualTLS serves HTTPS with the API server's certificate, requiring a client
// certificate from the CA, and calls it through the written kubeconfig: the same handshake the
// control plane components do.
func TestKubeconfigMutualTLS(t *testing.T) {
	p, err := NewPKI(t.TempDir(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	serverCert, err := tls.LoadX509KeyPair(p.ServingCert, p.ServingKey)
	if err != nil {
		t.Fatal(err)
	}
	clientCAs := x509.NewCertPool()
	clientCAs.AddCert(readCert(t, p.CACert))
	var gotUser, gotGroup string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotUser = r.TLS.PeerCertificates[0].Subject.CommonName
		gotGroup = strings.Join(r.TLS.PeerCertificates[0].Subject.Organization, ",")
		w.Write([]byte("ok"))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCAs}
	srv.StartTLS()
	t.Cleanup(srv.Close)

	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := writeKubeconfig(path, srv.URL, p); err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatalf("load kubeconfig: %v", err)
	}
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatalf("GET through kubeconfig: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /readyz = %d, want 200", resp.StatusCode)
	}
	if gotUser != "e2e-admin" || gotGroup != "system:masters" {
		t.Errorf("server saw user %q group %q, want e2e-admin in system:masters", gotUser, gotGroup)
	}
}

func TestProcessStop(t *testing.T) {
	dir := t.TempDir()

	t.Run("terminates on SIGTERM", func(t *testing.T) {
		p, err := StartProcess("sleeper", filepath.Join(dir, "sleeper.log"), "sleep", "60")
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Stop(5 * time.Second); err != nil {
			t.Errorf("Stop() = %v, want nil", err)
		}
		if exited, _ := p.Exited(); !exited {
			t.Errorf("process still running after Stop")
		}
	})

	t.Run("kills the whole group when SIGTERM is ignored", func(t *testing.T) {
		childPidFile := filepath.Join(dir, "child.pid")
		script := `trap "" TERM; sleep 60 & echo $! > ` + childPidFile + `; echo started; wait`
		p, err := StartProcess("stubborn", filepath.Join(dir, "stubborn.log"), "sh", "-c", script)
		if err != nil {
			t.Fatal(err)
		}
		var child int
		deadline := time.Now().Add(5 * time.Second)
		for child == 0 && time.Now().Before(deadline) {
			data, _ := os.ReadFile(childPidFile)
			child, _ = strconv.Atoi(strings.TrimSpace(string(data)))
			time.Sleep(20 * time.Millisecond)
		}
		if child == 0 {
			t.Fatalf("child never started; log:\n%s", p.LogTail(5))
		}
		err = p.Stop(300 * time.Millisecond)
		if err == nil || !strings.Contains(err.Error(), "killed") {
			t.Errorf("Stop() = %v, want an error saying it was killed", err)
		}
		// The child is in the same process group, so it is gone too (possibly a zombie of init
		// for a moment; wait for it to be reaped).
		deadline = time.Now().Add(5 * time.Second)
		for {
			err := syscall.Kill(child, 0)
			if errors.Is(err, syscall.ESRCH) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("child %d of the stopped process still exists", child)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if got := p.LogTail(1); !strings.Contains(got, "started") {
			t.Errorf("LogTail(1) = %q, want the script's output", got)
		}
	})

	t.Run("an exited process is not an error", func(t *testing.T) {
		p, err := StartProcess("true", filepath.Join(dir, "true.log"), "true")
		if err != nil {
			t.Fatal(err)
		}
		<-p.done
		if err := p.Stop(time.Second); err != nil {
			t.Errorf("Stop() = %v, want nil", err)
		}
	})
}

func TestReadyCount(t *testing.T) {
	pod := func(ready bool, terminating bool) *corev1.Pod {
		status := corev1.ConditionFalse
		if ready {
			status = corev1.ConditionTrue
		}
		p := &corev1.Pod{Status: corev1.PodStatus{Conditions: []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue},
			{Type: corev1.PodReady, Status: status},
		}}}
		if terminating {
			now := metav1.Now()
			p.DeletionTimestamp = &now
		}
		return p
	}
	pods := []*corev1.Pod{pod(true, false), pod(true, false), pod(false, false), pod(true, true), {}}
	ready, total := ReadyCount(pods)
	if ready != 2 || total != 5 {
		t.Errorf("ReadyCount() = %d ready of %d, want 2 of 5 (a terminating pod is not ready)", ready, total)
	}
}
