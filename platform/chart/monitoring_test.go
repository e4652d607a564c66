package chart

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/orderstack/orderstack/platform/internal/repo"
)

// TestDashboards: each chart's Grafana dashboard is JSON with its own uid and a query on every
// panel, and every orders_* series the service's dashboard reads is one the service exports
// (the metrics table of docs/development.md).
func TestDashboards(t *testing.T) {
	root := repo.Root(t)
	exported := map[string]bool{}
	doc := repo.Read(t, filepath.Join(root, "docs", "development.md"))
	for _, m := range regexp.MustCompile("(?m)^\\| `(orders_[a-z_]+)` \\|").FindAllStringSubmatch(doc, -1) {
		exported[m[1]] = true
	}
	if len(exported) < 5 {
		t.Fatalf("found only %d metrics in the docs/development.md table", len(exported))
	}
	series := regexp.MustCompile(`\b(orders_[a-z_]+?)(_bucket|_sum|_count)?\{`)
	uids, used := map[string]string{}, map[string]bool{}
	for _, file := range []string{"deploy/helm/orders/dashboards/orders.json", "deploy/mongodb/cluster/dashboards/mongodb.json"} {
		var dash struct {
			UID    string
			Panels []struct {
				Title   string
				Targets []struct{ Expr string }
			}
		}
		if err := json.Unmarshal([]byte(repo.Read(t, filepath.Join(root, file))), &dash); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if dash.UID == "" || uids[dash.UID] != "" || len(dash.Panels) == 0 {
			t.Errorf("%s: uid %q (also %q), %d panels: want its own uid and panels", file, dash.UID, uids[dash.UID], len(dash.Panels))
		}
		uids[dash.UID] = file
		for _, p := range dash.Panels {
			if len(p.Targets) == 0 || p.Targets[0].Expr == "" {
				t.Errorf("%s: panel %q has no query", file, p.Title)
			}
			for _, tg := range p.Targets {
				for _, m := range series.FindAllStringSubmatch(tg.Expr, -1) {
					used[m[1]] = true
					if !exported[m[1]] {
						t.Errorf("%s: panel %q queries %s, which docs/development.md does not list", file, p.Title, m[1])
					}
				}
			}
		}
	}
	for _, m := range []string{"orders_http_requests_total", "orders_http_request_duration_seconds", "orders_mongodb_command_duration_seconds"} {
		if !used[m] {
			t.Errorf("no panel shows %s", m)
		}
	}
}
