package chart

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/orderstack/orderstack/platform/internal/repo"
)

// The CA volume's file name inside caMountPath: tlsCAFile is <caMountPath>/ca.crt.
const caFileName = "ca.crt"

// caVolume returns the pod's Secret volume mounted by the service's container
// (the only Secret volume the chart renders), with its mount; ok is false when
// there is none.
func caVolume(tb testing.TB, d *appsv1.Deployment) (corev1.Volume, corev1.VolumeMount, bool) {
	tb.Helper()
	var secretVols []corev1.Volume
	for _, v := range d.Spec.Template.Spec.Volumes {
		if v.Secret != nil {
			secretVols = append(secretVols, v)
		}
	}
	if len(secretVols) == 0 {
		return corev1.Volume{}, corev1.VolumeMount{}, false
	}
	if len(secretVols) > 1 {
		tb.Fatalf("pod has %d Secret volumes, want at most 1 (the MongoDB CA)", len(secretVols))
	}
	v := secretVols[0]
	var mounts []corev1.VolumeMount
	for _, m := range container(tb, d).VolumeMounts {
		if m.Name == v.Name {
			mounts = append(mounts, m)
		}
	}
	if len(mounts) != 1 {
		tb.Fatalf("Secret volume %s is mounted %d times by the container, want 1", v.Name, len(mounts))
	}
	return v, mounts[0], true
}

// scriptCAFile reads scripts/mongodb-secret.sh and returns the default of the
// tlsCAFile it writes into MONGODB_URL and the Secret key it stores the CA under.
func scriptCAFile(tb testing.TB) (caFile, caKey string) {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(repo.Root(tb), "scripts", "mongodb-secret.sh"))
	if err != nil {
		tb.Fatal(err)
	}
	script := string(b)
	m := regexp.MustCompile(`(?m)^ca_file=\$\{MONGODB_CA_FILE:-([^}]+)\}$`).FindStringSubmatch(script)
	if m == nil {
		tb.Fatal("scripts/mongodb-secret.sh: no line ca_file=${MONGODB_CA_FILE:-<default>}")
	}
	caFile = m[1]
	if !path.IsAbs(caFile) || path.Base(caFile) != caFileName {
		tb.Fatalf("scripts/mongodb-secret.sh tlsCAFile default %q: want an absolute path ending in /%s, the file name the chart mounts", caFile, caFileName)
	}
	if !strings.Contains(script, "tlsCAFile=${ca_file}") {
		tb.Fatal("scripts/mongodb-secret.sh does not put ${ca_file} into tlsCAFile")
	}
	k := regexp.MustCompile(`(?m)^\s*keys\+=\(([A-Z_]+)\)$`).FindStringSubmatch(script)
	if k == nil {
		tb.Fatal("scripts/mongodb-secret.sh: no line keys+=(<CA key>)")
	}
	if !strings.Contains(script, `"$work/`+k[1]+`"`) {
		tb.Fatalf("scripts/mongodb-secret.sh adds key %s but never writes $work/%s", k[1], k[1])
	}
	return caFile, k[1]
}

// TestMongoDBCAMount: in every environment the pods mount the CA key of the
// app Secret read-only, as the file MONGODB_URL's tlsCAFile names, and refuse
// to start without it.
func TestMongoDBCAMount(t *testing.T) {
	wantFile, wantKey := scriptCAFile(t)
	for _, env := range environments {
		t.Run(env.name, func(t *testing.T) {
			r := mustRender(t, renderOptions{valueFiles: env.files})
			d := one[appsv1.Deployment](t, r.objects)
			c := container(t, d)
			v, m, ok := caVolume(t, d)
			if !ok {
				t.Fatal("no Secret volume: the MongoDB CA is not mounted")
			}
			s := v.Secret

			// The same Secret the env secretKeyRefs read.
			if ref := envVar(t, c, "MONGODB_URL").ValueFrom.SecretKeyRef; s.SecretName != ref.Name {
				t.Errorf("CA volume from Secret %q, MONGODB_URL from %q: want the same", s.SecretName, ref.Name)
			}
			if s.SecretName != secretName {
				t.Errorf("CA volume from Secret %q, want %q", s.SecretName, secretName)
			}
			want := []corev1.KeyToPath{{Key: wantKey, Path: caFileName}}
			if diff := cmp.Diff(want, s.Items); diff != "" {
				t.Errorf("CA volume items (-want +got):\n%s", diff)
			}
			// optional false: kubelet refuses to start the pod without the key.
			if s.Optional == nil || *s.Optional {
				t.Errorf("CA volume optional = %s, want explicitly false", ptrString(s.Optional))
			}
			if s.DefaultMode == nil || *s.DefaultMode != 0o440 {
				t.Errorf("CA volume defaultMode = %s, want 0440", ptrString(s.DefaultMode))
			}
			if !m.ReadOnly {
				t.Error("CA volumeMount is not readOnly")
			}
			// subPath mounts never see a rotated CA; the directory mount does.
			if m.SubPath != "" || m.SubPathExpr != "" {
				t.Errorf("CA volumeMount subPath = %q/%q, want none", m.SubPath, m.SubPathExpr)
			}
			if got := path.Join(m.MountPath, caFileName); got != wantFile {
				t.Errorf("mounted CA file = %s, scripts/mongodb-secret.sh writes tlsCAFile=%s", got, wantFile)
			}
			// The mount does not loosen the root filesystem.
			checkHardened(t, c)
			if !strings.Contains(r.notes, wantKey) {
				t.Errorf("NOTES do not name the CA key %s:\n%s", wantKey, r.notes)
			}

			// The helm test Pod only calls the Service: it gets no Secret at all.
			for _, p := range all[corev1.Pod](r.hooks) {
				for _, pv := range p.Spec.Volumes {
					if pv.Secret != nil {
						t.Errorf("helm test Pod mounts Secret volume %s", pv.Name)
					}
				}
			}
		})
	}
}

// TestMongoDBCAMountDisabled: an empty caSecretKey (MONGODB_TLS insecure or
// off, no CA in the Secret) renders no Secret volume and no mount.
func TestMongoDBCAMountDisabled(t *testing.T) {
	for _, env := range environments {
		t.Run(env.name, func(t *testing.T) {
			r := mustRender(t, renderOptions{valueFiles: env.files, set: []string{"mongodb.caSecretKey="}})
			d := one[appsv1.Deployment](t, r.objects)
			if v, _, ok := caVolume(t, d); ok {
				t.Errorf("caSecretKey empty still renders Secret volume %s", v.Name)
			}
			for _, m := range container(t, d).VolumeMounts {
				if m.MountPath != "/tmp" {
					t.Errorf("caSecretKey empty still mounts %s at %s", m.Name, m.MountPath)
				}
			}
			if strings.Contains(r.notes, "ca.crt") {
				t.Errorf("NOTES mention the CA although it is not mounted:\n%s", r.notes)
			}
		})
	}
}

// TestMongoDBCAMountValues: the Secret, key and directory follow the values.
func TestMongoDBCAMountValues(t *testing.T) {
	r := mustRender(t, renderOptions{set: []string{
		"existingSecret=orders-secrets-blue",
		"mongodb.caSecretKey=ca.pem",
		"mongodb.caMountPath=/var/run/orders/mongo-ca",
	}})
	d := one[appsv1.Deployment](t, r.objects)
	v, m, ok := caVolume(t, d)
	if !ok {
		t.Fatal("no CA volume")
	}
	if v.Secret.SecretName != "orders-secrets-blue" {
		t.Errorf("CA volume from Secret %q, want orders-secrets-blue", v.Secret.SecretName)
	}
	if diff := cmp.Diff([]corev1.KeyToPath{{Key: "ca.pem", Path: caFileName}}, v.Secret.Items); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	if m.MountPath != "/var/run/orders/mongo-ca" || !m.ReadOnly {
		t.Errorf("mount = %s readOnly %v, want /var/run/orders/mongo-ca read-only", m.MountPath, m.ReadOnly)
	}
}

// ptrString formats an optional field: its value (integers in octal, as file
// modes are written), or "unset".
func ptrString[T any](p *T) string {
	if p == nil {
		return "unset"
	}
	if n, ok := any(*p).(int32); ok {
		return fmt.Sprintf("%#o", n)
	}
	return fmt.Sprint(*p)
}
