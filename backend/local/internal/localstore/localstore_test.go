package localstore

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orderstack/orderstack/backend/internal/mongodb"
	"github.com/orderstack/orderstack/backend/internal/order"
	"github.com/orderstack/orderstack/backend/internal/order/storetest"
	"github.com/orderstack/orderstack/backend/local/internal/localdb"
	"github.com/orderstack/orderstack/backend/local/internal/mongodbtest"
)

// The embedded FerretDB that TestMain starts; each test opens a database
// of its own on it (a file of its own in serverDir).
var serverURI, serverDir string

func TestMain(m *testing.M) {
	os.Exit(localdb.RunWithTemp("localstore-", func(uri, dir string) { serverURI, serverDir = uri, dir }, m.Run))
}

// openDB opens a fresh database on the test server as orders-local does
// (pool of one, indexes ensured) and closes it at the end.
func openDB(tb testing.TB) *mongodb.DB {
	tb.Helper()
	return mongodbtest.OpenDB(tb, serverURI, mongodb.Options{MaxPoolSize: 1})
}

// open returns the local store on a fresh database.
func open(tb testing.TB) order.Store {
	tb.Helper()
	return newOn(tb, openDB(tb))
}

// newOn returns the local store on db, its index closed at the end.
func newOn(tb testing.TB, db *mongodb.DB) order.Store {
	tb.Helper()
	s, closeIdx, err := New(tb.Context(), db, serverDir)
	if err != nil {
		tb.Fatalf("New = %v", err)
	}
	tb.Cleanup(func() { _ = closeIdx() })
	return s
}

// TestStore: the local store, serialised as New returns it, keeps the
// contract of order.Store (the suite every store runs), including the
// concurrent cases: its read-then-write operations are atomic only
// because of the serialisation, so this is the test that fails if either
// half breaks.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) order.Store { return open(t) })
}

// TestListsUseIndexes: each list query the store sends SQLite is answered
// from an index (SEARCH, or an in-order walk of the _id index), never by
// scanning the table; the paginated lists also come out of the index in
// order. The stale-order query (Recover's) may sort the rows its two index
// searches found. FerretDB's own statements by _id search an index too
// (the one New adds).
func TestListsUseIndexes(t *testing.T) {
	db := openDB(t)
	s, closeIdx, err := New(t.Context(), db, serverDir)
	if err != nil {
		t.Fatal(err)
	}
	defer closeIdx()
	// EnsureIndexes (openDB) had FerretDB create both tables; one order
	// gives them a row.
	now := time.Now().UTC().Truncate(time.Millisecond)
	if err := s.CreateOrder(t.Context(), testOrder(now, order.StatusPending, "a@example.com", "")); err != nil {
		t.Fatal(err)
	}
	x, err := openIndex(serverDir + "/" + db.Name() + ".sqlite")
	if err != nil {
		t.Fatal(err)
	}
	defer x.close()
	table, err := x.table(t.Context(), ordersCollection)
	if err != nil || table == "" {
		t.Fatalf("table(orders) = %q, %v; want a table", table, err)
	}
	after := order.NewID(now)
	queries := map[string]func(*query){ // name → query; "stale" may sort
		"status": func(q *query) { q.and(colStatus+` = ?`, `"pending"`) },
		"status and cursor": func(q *query) {
			q.and(colStatus+` = ?`, `"pending"`)
			_ = q.after(after)
		},
		"public (status != reserving)": func(q *query) { q.and(colStatus+` != ?`, `"reserving"`) },
		"email":                        func(q *query) { q.and(colEmail+` = ?`, `"a@example.com"`) },
		"idempotency key":              func(q *query) { q.and(colKey+` = ?`, `"k"`) },
		"stale": func(q *query) {
			q.and(`(`+colStatus+` = ? OR (`+colStatus+` = ? AND `+colReleased+` = 'false'))`, `"reserving"`, `"cancelled"`)
			q.and(colUpdatedMS+` < ?`, now.UnixMilli())
		},
	}
	ptable, err := x.table(t.Context(), productsCollection)
	if err != nil || ptable == "" {
		t.Fatalf("table(products) = %q, %v; want a table", ptable, err)
	}
	productQueries := map[string]func(*query){
		"products":        func(q *query) { _ = q.after(after) },
		"marked products": func(q *query) { q.and(`json_array_length(` + colMarkers + `) > 0`) },
	}
	for name, build := range productQueries {
		queries[name] = build
	}
	for name, build := range queries {
		t.Run(name, func(t *testing.T) {
			var q query
			build(&q)
			tbl := table
			if _, ok := productQueries[name]; ok {
				tbl = ptable
			}
			stmt, args := q.sql(tbl, 50)
			plan := explain(t, x, stmt, args...)
			if name != "stale" && strings.Contains(plan, "TEMP B-TREE") {
				t.Errorf("plan of %s\n= %s\nsorts, want the rows in index order", stmt, plan)
			}
		})
	}
	// FerretDB's own statements for a {_id: ...} filter
	// (internal/backends/sqlite/collection.go: Query, UpdateAll, DeleteAll),
	// as it writes them, on both collections.
	for _, coll := range []string{ordersCollection, productsCollection} {
		t.Run("FerretDB by _id/"+coll, func(t *testing.T) {
			table, err := x.table(t.Context(), coll)
			if err != nil || table == "" {
				t.Fatalf("table(%s) = %q, %v; want a table", coll, table, err)
			}
			id := `"` + order.NewID(now) + `"`
			explain(t, x, fmt.Sprintf(`SELECT _ferretdb_sjson FROM %q WHERE _ferretdb_sjson->'$._id' = ?`, table), id)
			explain(t, x, fmt.Sprintf(`UPDATE %q SET _ferretdb_sjson = ? WHERE _ferretdb_sjson->'$._id' = ?`, table), "{}", id)
			explain(t, x, fmt.Sprintf(`DELETE FROM %q WHERE _ferretdb_sjson->'$._id' IN (?)`, table), id)
			if coll == ordersCollection {
				explain(t, x, orderStatesSQL(table, 2), id, id) // OrderStates
			}
		})
	}
}

// explain returns SQLite's plan of stmt, failing the test if it scans a
// table instead of using an index.
func explain(t *testing.T, x *index, stmt string, args ...any) string {
	t.Helper()
	rows, err := x.db.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+stmt, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, detail)
	}
	plan := strings.Join(steps, "; ")
	t.Logf("%s", plan)
	for _, step := range steps {
		if strings.HasPrefix(step, "SCAN ") && !strings.Contains(step, " USING ") {
			t.Errorf("plan of %s\n= %s\nscans the table, want an index", stmt, plan)
		}
	}
	if !strings.Contains(plan, "USING INDEX") && !strings.Contains(plan, "USING COVERING INDEX") {
		t.Errorf("plan of %s\n= %s\nwant it to use an index", stmt, plan)
	}
	return plan
}

func testOrder(now time.Time, st order.Status, email, key string) order.Order {
	pid := order.NewID(now)
	return order.Order{
		ID: order.NewID(now), Customer: order.Customer{Name: "B", Email: email},
		Items:      []order.LineItem{{ProductID: pid, SKU: "S", Name: "N", Quantity: 1, UnitPriceCents: 100, LineTotalCents: 100}},
		TotalCents: 100, Currency: "EUR", Status: st, IdempotencyKey: key,
		CreatedAt: now, UpdatedAt: now,
	}
}

// TestListMatchesStoredStrings: the list's comparison values are encoded
// as FerretDB stores strings, including characters encoding/json escapes
// (<, >, &) and non-ASCII ones, and it finds exactly those orders.
func TestListMatchesStoredStrings(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Millisecond)
	emails := []string{"plain@example.com", "<a&b>@example.com", "zoë+ü@例え.jp", `q"uote\@example.com`}
	want := map[string]string{} // email → order id
	for _, e := range emails {
		o := testOrder(now, order.StatusPending, e, "key-"+e)
		if err := s.CreateOrder(ctx, o); err != nil {
			t.Fatal(err)
		}
		want[e] = o.ID
	}
	for _, e := range emails {
		got, err := s.ListOrders(ctx, order.OrderFilter{Email: e})
		if err != nil || len(got) != 1 || got[0].ID != want[e] {
			t.Errorf("ListOrders(email %q) = %v, %v; want the one order %s", e, got, err, want[e])
		}
		o, err := s.GetOrderByIdempotencyKey(ctx, "key-"+e)
		if err != nil || o.ID != want[e] {
			t.Errorf("GetOrderByIdempotencyKey(%q) = %s, %v; want order %s", "key-"+e, o.ID, err, want[e])
		}
	}
}

// TestNewRelativeDir: orders-local -data takes a relative directory (as
// localdb does); New opens FerretDB's file from it.
func TestNewRelativeDir(t *testing.T) {
	db := openDB(t)
	// Into serverDir itself, not its parent: go test's result cache records the directory a test
	// changes into, and the parent is the shared temporary folder, which changes all the time.
	t.Chdir(serverDir)
	rel := filepath.Join("..", filepath.Base(serverDir))
	s, closeIdx, err := New(t.Context(), db, rel)
	if err != nil {
		t.Fatalf("New(relative %q) = %v", rel, err)
	}
	defer closeIdx()
	if _, err := s.ListOrders(t.Context(), order.OrderFilter{}); err != nil {
		t.Errorf("ListOrders = %v, want nil", err)
	}
}

// TestListProductsAsStored: ListProducts decodes FerretDB's stored JSON
// itself; each product it lists equals the adapter's reading of it by _id
// (GetProduct), strings with escapes and non-ASCII characters, prices
// beyond 2^53 and millisecond times included.
func TestListProductsAsStored(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Millisecond)
	names := []string{"plain", `<a&b> "q" \ zoë 例え`, ""}
	for i, n := range names {
		p := order.Product{
			ID: order.NewID(now), SKU: fmt.Sprintf("SKU-%d-%s", i, n), Name: n, Description: n + "\n" + n,
			PriceCents: 1<<53 + int64(i), Currency: "EUR", Stock: int64(i * 7),
			CreatedAt: now.Add(-time.Duration(i) * time.Hour), UpdatedAt: now.Add(time.Duration(i) * time.Millisecond),
		}
		if err := s.CreateProduct(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.ListProducts(ctx, "", 10)
	if err != nil || len(got) != len(names) {
		t.Fatalf("ListProducts = %d products, %v; want %d", len(got), err, len(names))
	}
	for _, p := range got {
		want, err := s.GetProduct(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, p); d != "" {
			t.Errorf("ListProducts' %s against GetProduct (-want +got):\n%s", p.ID, d)
		}
	}
}

// TestListOrdersAsStored: the order lists decode FerretDB's stored JSON
// themselves; each order they return equals the adapter's reading of it by
// _id (GetOrder): lines, customer strings with escapes and non-ASCII
// characters, an idempotency key or none, stockReleased either way.
func TestListOrdersAsStored(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Millisecond)
	var keyed string
	for i, name := range []string{"plain", `<a&b> "q" \ zoë 例え`, ""} {
		o := testOrder(now.Add(time.Duration(i)*time.Millisecond), order.StatusCancelled, name+"@example.com", "")
		o.Customer.Name = name
		o.StockReleased = i%2 == 0
		o.RequestHash = fmt.Sprintf("hash-%d", i)
		o.Items = append(o.Items, order.LineItem{ProductID: order.NewID(now), SKU: name, Name: name, Quantity: 1 << 40, UnitPriceCents: 1<<53 + 1, LineTotalCents: 7})
		if i == 1 {
			o.IdempotencyKey, keyed = "key-"+name, o.ID
		}
		if err := s.CreateOrder(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	check := func(what string, got []order.Order, err error, n int) {
		t.Helper()
		if err != nil || len(got) != n {
			t.Fatalf("%s = %d orders, %v; want %d", what, len(got), err, n)
		}
		for _, o := range got {
			want, err := s.GetOrder(ctx, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, o); d != "" {
				t.Errorf("%s: %s against GetOrder (-want +got):\n%s", what, o.ID, d)
			}
		}
	}
	got, err := s.ListOrders(ctx, order.OrderFilter{Limit: 10})
	check("ListOrders", got, err, 3)
	got, err = s.ListStaleOrders(ctx, now.Add(time.Hour), "", 10)
	check("ListStaleOrders", got, err, 1) // the one cancelled without its stock released
	o, err := s.GetOrderByIdempotencyKey(ctx, `key-<a&b> "q" \ zoë 例え`)
	check("GetOrderByIdempotencyKey", []order.Order{o}, err, 1)
	if o.ID != keyed {
		t.Errorf("GetOrderByIdempotencyKey = order %s, want %s", o.ID, keyed)
	}
}

// TestListsSeeEveryWrite: the lists' SQLite handle sees each write
// FerretDB commits, also after FerretDB's connection checkpoints and
// restarts its write-ahead log (thousands of writes).
func TestListsSeeEveryWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("thousands of writes: not in -short")
	}
	s := open(t)
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Millisecond)
	const n = 1500
	var ids []string
	for i := range n {
		o := testOrder(now, order.StatusPending, "w@example.com", "")
		if err := s.CreateOrder(ctx, o); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, o.ID)
		if _, err := s.SetOrderStatus(ctx, o.ID, order.StatusPending, order.StatusPaid, now); err != nil {
			t.Fatal(err)
		}
		if i%100 == 99 {
			states, err := s.OrderStates(ctx, ids[len(ids)-100:])
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range states {
				if st.Status != order.StatusPaid {
					t.Fatalf("after %d orders: OrderStates says %s is %s, want paid", i+1, st.ID, st.Status)
				}
			}
			if len(states) != 100 {
				t.Fatalf("after %d orders: OrderStates found %d of the last 100", i+1, len(states))
			}
		}
	}
	var listed int
	for after := ""; ; {
		page, err := s.ListOrders(ctx, order.OrderFilter{Status: order.StatusPaid, After: after, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		listed += len(page)
		after = page[len(page)-1].ID
	}
	if listed != n {
		t.Errorf("ListOrders(paid) listed %d orders, want %d", listed, n)
	}
}
