package restoredrill

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/orderstack/orderstack/platform/internal/clisandbox"
	"github.com/orderstack/orderstack/platform/internal/repo"
)

// A password with the characters that need escaping in the JS the script feeds to mongosh.
const password = `p"4\ss-w0rd`

func sandbox(t *testing.T) (*clisandbox.Sandbox, string) {
	t.Helper()
	s := clisandbox.New(t)
	s.Real(t, append(clisandbox.Basics, "awk", "date")...)
	body, err := os.ReadFile(filepath.Join("testdata", "kubectl.bash"))
	if err != nil {
		t.Fatal(err)
	}
	s.Fake(t, "kubectl", string(body))
	s.Setenv("FAKE_PASSWORD="+password, "POLL_SECONDS=0", "WAIT_SECONDS=5", "DRILL_ID=t1")
	return s, filepath.Join(repo.Root(t), "scripts", "restore-drill.sh")
}

func noPassword(t *testing.T, s *clisandbox.Sandbox, out string) {
	t.Helper()
	if strings.Contains(out, password) {
		t.Error("the password appears in the script's output")
	}
	for _, c := range s.Calls(t) {
		if strings.Contains(c, password) || strings.Contains(c, "p\\\"4") {
			t.Errorf("the password appears on a command line: %s", c)
		}
	}
}

func TestDrillRestoresAndReportsEachPhase(t *testing.T) {
	s, script := sandbox(t)
	r := s.Run(t, script, nil, "ENV=dev", "FAKE_ORDERS=7", "FAKE_WRITES_DURING_BACKUP=2")
	if r.Code != 0 {
		t.Fatalf("exit %d, want 0", r.Code)
	}
	if !strings.Contains(r.Output, "OK: 7 orders restored") {
		t.Errorf("output lacks the verdict with the restored count")
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
	noPassword(t, s, r.Output)
}

func TestDrillFailsWhenNothingWasRestored(t *testing.T) {
	s, script := sandbox(t)
	r := s.Run(t, script, nil, "ENV=dev", "FAKE_RESTORE_NOOP=1")
	if r.Code == 0 {
		t.Fatal("exit 0 although the restore changed nothing")
	}
	if !strings.Contains(r.Output, "marker B (written after the backup) survived the restore") {
		t.Error("output does not say that marker B survived")
	}
	noPassword(t, s, r.Output)
}

func TestDrillStopsOnFailedBackup(t *testing.T) {
	s, script := sandbox(t)
	r := s.Run(t, script, nil, "ENV=dev", "FAKE_BACKUP_END=error")
	if r.Code == 0 {
		t.Fatal("exit 0 although the backup failed")
	}
	if !strings.Contains(r.Output, "perconaservermongodbbackup mongodb/restore-drill-t1 is in state error: fake: storage s3 unreachable") {
		t.Error("output does not name the failed backup and its error")
	}
	if clisandbox.Index(s.Calls(t), 0, `perconaservermongodbrestore`) >= 0 {
		t.Error("a restore was attempted after the backup failed")
	}
}

func TestDrillRefusesProdAndBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  []string
		want string
	}{
		{"prod", []string{"ENV=prod"}, "ENV=prod refused"},
		{"no env", nil, "ENV must be dev"},
		{"bad id", []string{"ENV=dev", "DRILL_ID=Bad_Id"}, "DRILL_ID must be"},
		{"wrong password", []string{"ENV=dev", "FAKE_SECRET_PASSWORD=stale"}, "mongosh failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, script := sandbox(t)
			r := s.Run(t, script, nil, tc.env...)
			if r.Code == 0 || !strings.Contains(r.Output, tc.want) {
				t.Errorf("exit %d, output lacks %q", r.Code, tc.want)
			}
			if clisandbox.Index(s.Calls(t), 0, `apply`) >= 0 {
				t.Error("an object was created")
			}
		})
	}
}

// --print-manifests prints the two objects and calls nothing.
func TestPrintManifests(t *testing.T) {
	s, script := sandbox(t)
	r := s.Run(t, script, []string{"--print-manifests"})
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
