package restoredrill

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/orderstack/orderstack/platform/internal/clisandbox"
	"github.com/orderstack/orderstack/platform/internal/repo"
)

// A password with the characters that need escaping in the JS the script feeds to mongosh.
const password = `p"4\ss-w0rd`

// drill runs scripts/restore-drill.sh in a closed-PATH sandbox with the fake kubectl and checks
// that the password is on no output and no command line.
func drill(t *testing.T, args []string, env ...string) (*clisandbox.Sandbox, clisandbox.Result) {
	t.Helper()
	s := clisandbox.New(t)
	s.Real(t, append(clisandbox.Basics, "awk", "date")...)
	s.Fake(t, "kubectl", repo.Read(t, filepath.Join("testdata", "kubectl.bash")))
	s.Setenv("FAKE_PASSWORD="+password, "POLL_SECONDS=0", "WAIT_SECONDS=5", "DRILL_ID=t1")
	r := s.Run(t, filepath.Join(repo.Root(t), "scripts", "restore-drill.sh"), args, env...)
	if strings.Contains(r.Output, password) {
		t.Error("the password appears in the script's output")
	}
	for _, c := range s.Calls(t) {
		if strings.Contains(c, password) || strings.Contains(c, "p\\\"4") {
			t.Errorf("the password appears on a command line: %s", c)
		}
	}
	return s, r
}

func TestDrillRestoresAndReportsEachPhase(t *testing.T) {
	s, r := drill(t, nil, "ENV=dev", "FAKE_ORDERS=7", "FAKE_WRITES_DURING_BACKUP=2")
	if r.Code != 0 || !strings.Contains(r.Output, "OK: 7 orders restored") {
		t.Fatalf("exit %d, want 0 and the verdict with the restored count:\n%s", r.Code, r.Output)
	}
	// Every phase prints its duration, in order, and a total.
	for _, p := range []string{"cluster ready", "marker A, count orders", "backup restore-drill-t1", "count orders, marker B",
		"restore restore-drill-t1", "cluster ready after restore", "verify", "total"} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(p) + ` +[0-9]+s$`).MatchString(r.Output) {
			t.Errorf("no duration line for phase %q", p)
		}
	}
	if err := clisandbox.InOrder(s.Calls(t),
		`^kubectl -n mongodb get perconaservermongodb/orders-mongodb`,
		`^kubectl -n mongodb exec -i orders-mongodb-rs0-0 -c mongod -- mongosh`,
		`^kubectl -n mongodb apply -f -$`,
		`^kubectl -n mongodb get perconaservermongodbbackup/restore-drill-t1`,
		`^kubectl -n mongodb apply -f -$`,
		`^kubectl -n mongodb get perconaservermongodbrestore/restore-drill-t1`,
	); err != nil {
		t.Error(err)
	}
}

func TestDrillFails(t *testing.T) {
	for _, tc := range []struct {
		name  string
		env   []string
		want  string
		never string // no call may match this after the failure
	}{
		{"nothing restored", []string{"ENV=dev", "FAKE_RESTORE_NOOP=1"}, "marker B (written after the backup) survived the restore", ""},
		{"failed backup", []string{"ENV=dev", "FAKE_BACKUP_END=error"},
			"perconaservermongodbbackup mongodb/restore-drill-t1 is in state error: fake: storage s3 unreachable", "perconaservermongodbrestore"},
		{"prod", []string{"ENV=prod"}, "ENV=prod refused", "apply"},
		{"no env", nil, "ENV must be dev", "apply"},
		{"bad id", []string{"ENV=dev", "DRILL_ID=Bad_Id"}, "DRILL_ID must be", "apply"},
		{"wrong password", []string{"ENV=dev", "FAKE_SECRET_PASSWORD=stale"}, "mongosh failed", "apply"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, r := drill(t, nil, tc.env...)
			if r.Code == 0 || !strings.Contains(r.Output, tc.want) {
				t.Errorf("exit %d, output lacks %q:\n%s", r.Code, tc.want, r.Output)
			}
			// Every failure here is final: the drill stops at it, never waits out WAIT_SECONDS.
			if strings.Contains(r.Output, "not ready after") {
				t.Errorf("the drill kept waiting after the failure:\n%s", r.Output)
			}
			if tc.never != "" && clisandbox.Index(s.Calls(t), 0, tc.never) >= 0 {
				t.Errorf("a call matched %q after the failure", tc.never)
			}
		})
	}
}

// --print-manifests prints the two objects and calls nothing.
func TestPrintManifests(t *testing.T) {
	s, r := drill(t, []string{"--print-manifests"})
	if r.Code != 0 {
		t.Fatalf("exit %d", r.Code)
	}
	for _, want := range []string{"kind: PerconaServerMongoDBBackup", "kind: PerconaServerMongoDBRestore", "backupName: restore-drill-t1", "storageName: s3"} {
		if !strings.Contains(r.Output, want) {
			t.Errorf("manifests lack %q", want)
		}
	}
	if calls := s.Calls(t); len(calls) != 0 {
		t.Errorf("--print-manifests called %v", calls)
	}
}
