package localstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the SQLite driver FerretDB uses (registers "sqlite")

	"github.com/orderstack/orderstack/backend/internal/mongodb"
	"github.com/orderstack/orderstack/backend/internal/order"
)

// defaultLimit is the adapter's, for a list asked for a limit below 1.
const defaultLimit = 100

// FerretDB 1.24's SQLite layout (internal/backends/sqlite/metadata): one
// file per database, <dir>/<database>.sqlite; a table per collection,
// named in the metadata table, with the document as JSON in one column;
// an index on keys {a: 1, b.c: 1} is the expression index
// (_ferretdb_sjson->"a", _ferretdb_sjson->"b"->"c"). The expressions below
// are written the same way, so SQLite's planner matches them to those
// indexes (TestListsUseIndexes checks the query plans). Strings, and
// ObjectIDs as lowercase hex, are JSON strings; dates are milliseconds
// since the epoch.
const (
	metadataTable = "_ferretdb_collections"
	colID         = `_ferretdb_sjson->"_id"`
	colStatus     = `_ferretdb_sjson->"status"`
	colEmail      = `_ferretdb_sjson->"customer"->"email"`
	colKey        = `_ferretdb_sjson->"idempotencyKey"`
	colReleased   = `_ferretdb_sjson->"stockReleased"`
	colUpdatedMS  = `_ferretdb_sjson->>"updatedAt"`
	colMarkers    = `_ferretdb_sjson->"markers"`
)

// index answers list queries from FerretDB's SQLite file, read only: the
// ids, or the documents decoded from the JSON FerretDB stores.
type index struct {
	db *sql.DB

	mu     sync.Mutex
	tables map[string]string // collection → table, once found
}

func openIndex(path string) (*index, error) {
	// Never create the file (mode=rw fails if it is missing: it is
	// FerretDB's) and never write (query_only). Not mode=ro: a read-only
	// connection does not take part in the WAL's shared memory the way
	// FerretDB's do, and one run of TestModel read lists that missed the
	// last writes with it (not reproduced since; with mode=rw this is an
	// ordinary WAL reader, which sees every committed write).
	u := url.URL{Scheme: "file", Path: path, RawQuery: "mode=rw&_pragma=busy_timeout(10000)&_pragma=query_only(1)"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, fmt.Errorf("localstore: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1) // the store runs one call at a time
	return &index{db: db, tables: map[string]string{}}, nil
}

func (x *index) close() error { return x.db.Close() }

// idLookup is the expression FerretDB 1.24's SQLite backend compares when
// it pushes a {_id: ...} filter down (metadata.IDColumn, used by Query,
// UpdateAll and DeleteAll). Its own _id_ index is on `->"_id"`, an
// expression SQLite does not see as the same, so each of those statements
// scans the table and parses every document's JSON: a read, update or
// delete by _id takes time linear in the collection (8 ms per order read
// at 1,600 orders here). The same mismatch on PostgreSQL is FerretDB issue
// #4646.
const idLookup = `_ferretdb_sjson->'$._id'`

// addIDIndexes gives the tables of colls an index on idLookup, so that
// FerretDB's by-_id statements search it. FerretDB does not list the
// index (it is not in its metadata) and needs not: SQLite keeps it up to
// date on every write and drops it with its table. A collection FerretDB
// has not created yet is skipped.
func addIDIndexes(ctx context.Context, path string, colls ...string) error {
	u := url.URL{Scheme: "file", Path: path, RawQuery: "mode=rw&_pragma=busy_timeout(10000)"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return fmt.Errorf("localstore: open %s: %w", path, err)
	}
	defer db.Close()
	x := &index{db: db, tables: map[string]string{}}
	for _, c := range colls {
		t, err := x.table(ctx, c)
		if err != nil {
			return fmt.Errorf("localstore: %w", err)
		}
		if t == "" {
			continue
		}
		stmt := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (%s)`, t+"_localstore_id", t, idLookup)
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("localstore: index %s by _id: %w", c, err)
		}
	}
	return nil
}

// table is the SQLite table of coll; "" if FerretDB has not created it.
func (x *index) table(ctx context.Context, coll string) (string, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if t, ok := x.tables[coll]; ok {
		return t, nil
	}
	var t string
	err := x.db.QueryRowContext(ctx, `SELECT table_name FROM `+metadataTable+` WHERE name = ?`, coll).Scan(&t)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", unavailable("find table of "+coll, err)
	}
	x.tables[coll] = t
	return t, nil
}

func (x *index) forget(coll string) {
	x.mu.Lock()
	delete(x.tables, coll)
	x.mu.Unlock()
}

// query is a list query: conditions (SQL with ? placeholders) and args.
type query struct {
	where []string
	args  []any
}

func (q *query) and(cond string, args ...any) {
	q.where = append(q.where, cond)
	q.args = append(q.args, args...)
}

// sql is the id query on table, by _id, at most limit rows.
func (q query) sql(table string, limit int) (string, []any) {
	return q.selectSQL(colID, table, limit)
}

// selectSQL is q selecting what, by _id, at most limit rows.
func (q query) selectSQL(what, table string, limit int) (string, []any) {
	s := `SELECT ` + what + ` FROM "` + table + `"`
	if len(q.where) > 0 {
		s += ` WHERE ` + strings.Join(q.where, ` AND `)
	}
	return s + ` ORDER BY ` + colID + ` LIMIT ?`, append(q.args, limit)
}

// ids runs q on coll and returns the ids, in order.
func (x *index) ids(ctx context.Context, coll string, q query, limit int) ([]string, error) {
	raws, err := x.rows(ctx, colID, coll, q, limit)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(raws))
	for _, raw := range raws {
		var id string
		if err := json.Unmarshal([]byte(raw), &id); err != nil {
			return nil, fmt.Errorf("query %s: _id %s is not a JSON string: %w", coll, raw, err)
		}
		out = append(out, id)
	}
	return out, nil
}

// rows runs q on coll selecting what (one text column) and returns it,
// in _id order.
func (x *index) rows(ctx context.Context, what, coll string, q query, limit int) ([]string, error) {
	table, err := x.table(ctx, coll)
	if err != nil || table == "" {
		return nil, err
	}
	if limit < 1 {
		limit = defaultLimit
	}
	stmt, args := q.selectSQL(what, table, limit)
	rows, err := x.db.QueryContext(ctx, stmt, args...)
	if err != nil {
		x.forget(coll) // dropped and made again (mongosh)? Look the table up anew next time.
		return nil, unavailable("query "+coll, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return nil, unavailable("query "+coll, err)
		}
		out = append(out, raw)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable("query "+coll, err)
	}
	return out, nil
}

// unavailable: the file could not be read (gone, locked, closed).
func unavailable(what string, err error) error {
	return fmt.Errorf("%s in the local store's SQLite file: %w: %w", what, order.ErrUnavailable, err)
}

// jsonString is s as FerretDB stores a string (encoding/json, like its
// sjson package), to compare with an indexed expression.
func jsonString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}

// after adds `_id > after` for keyset pagination; a malformed cursor is a
// validation error, as in the adapter.
func (q *query) after(after string) error {
	if after == "" {
		return nil
	}
	id, err := mongodb.CursorID(after)
	if err != nil {
		return err
	}
	q.and(colID+` > ?`, jsonString(id.Hex()))
	return nil
}

// orderJSON is an order as FerretDB stores it in SQLite (see productJSON);
// the fields are the adapter's orderDoc. TestListOrdersAsStored compares
// the two readings.
type orderJSON struct {
	ID       string `json:"_id"`
	Customer struct {
		Name  string `json:"name"`
		Email string `json:"email"`
	} `json:"customer"`
	Items []struct {
		ProductID      string `json:"productId"`
		SKU            string `json:"sku"`
		Name           string `json:"name"`
		Quantity       int64  `json:"quantity"`
		UnitPriceCents int64  `json:"unitPriceCents"`
		LineTotalCents int64  `json:"lineTotalCents"`
	} `json:"items"`
	TotalCents     int64  `json:"totalCents"`
	Currency       string `json:"currency"`
	Status         string `json:"status"`
	StockReleased  bool   `json:"stockReleased"`
	IdempotencyKey string `json:"idempotencyKey"`
	RequestHash    string `json:"requestHash"`
	CreatedAt      int64  `json:"createdAt"`
	UpdatedAt      int64  `json:"updatedAt"`
}

func (d orderJSON) order() order.Order {
	var items []order.LineItem // none: nil, as the adapter reads them
	for _, it := range d.Items {
		items = append(items, order.LineItem{
			ProductID: it.ProductID, SKU: it.SKU, Name: it.Name, Quantity: it.Quantity,
			UnitPriceCents: it.UnitPriceCents, LineTotalCents: it.LineTotalCents,
		})
	}
	return order.Order{
		ID:       d.ID,
		Customer: order.Customer{Name: d.Customer.Name, Email: d.Customer.Email},
		Items:    items, TotalCents: d.TotalCents, Currency: d.Currency,
		Status: order.Status(d.Status), StockReleased: d.StockReleased,
		IdempotencyKey: d.IdempotencyKey, RequestHash: d.RequestHash,
		CreatedAt: time.UnixMilli(d.CreatedAt).UTC(), UpdatedAt: time.UnixMilli(d.UpdatedAt).UTC(),
	}
}

// orders runs q on the orders in one SQLite query and decodes them from
// their stored JSON, in _id order.
func (x *index) orders(ctx context.Context, q query, limit int) ([]order.Order, error) {
	raws, err := x.rows(ctx, `_ferretdb_sjson`, ordersCollection, q, limit)
	if err != nil {
		return nil, err
	}
	out := make([]order.Order, 0, len(raws))
	for _, raw := range raws {
		var d orderJSON
		if err := json.Unmarshal([]byte(raw), &d); err != nil {
			return nil, fmt.Errorf("a stored order is not as expected: %w", err)
		}
		out = append(out, d.order())
	}
	return out, nil
}

// ListOrders: one SQLite query through the status_id or customerEmail_id
// index (or the _id index, for all public orders), the orders decoded from
// their stored JSON.
func (s *store) ListOrders(ctx context.Context, f order.OrderFilter) ([]order.Order, error) {
	var q query
	switch f.Status {
	case "":
		q.and(colStatus+` != ?`, jsonString(string(order.StatusReserving)))
	case order.StatusReserving:
		return []order.Order{}, nil // never listed
	default:
		q.and(colStatus+` = ?`, jsonString(string(f.Status)))
	}
	if f.Email != "" {
		q.and(colEmail+` = ?`, jsonString(f.Email))
	}
	if err := q.after(f.After); err != nil {
		return nil, err
	}
	out, err := s.idx.orders(ctx, q, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list orders: %w", err)
	}
	return out, nil
}

// ListStaleOrders: reserving orders, and cancelled ones without their
// stock released, last updated before cutoff (the status_id index), in one
// SQLite query.
func (s *store) ListStaleOrders(ctx context.Context, cutoff time.Time, after string, limit int) ([]order.Order, error) {
	var q query
	q.and(`(`+colStatus+` = ? OR (`+colStatus+` = ? AND `+colReleased+` = 'false'))`,
		jsonString(string(order.StatusReserving)), jsonString(string(order.StatusCancelled)))
	q.and(colUpdatedMS+` < ?`, cutoff.UnixMilli())
	if err := q.after(after); err != nil {
		return nil, err
	}
	out, err := s.idx.orders(ctx, q, limit)
	if err != nil {
		return nil, fmt.Errorf("list stale orders: %w", err)
	}
	return out, nil
}

// GetOrderByIdempotencyKey: the order through the idempotencyKey_unique
// index, in one SQLite query.
func (s *store) GetOrderByIdempotencyKey(ctx context.Context, key string) (order.Order, error) {
	if key == "" {
		return order.Order{}, fmt.Errorf("get order by empty idempotency key: %w", order.ErrNotFound)
	}
	var q query
	q.and(colKey+` = ?`, jsonString(key))
	got, err := s.idx.orders(ctx, q, 1)
	if err != nil {
		return order.Order{}, fmt.Errorf("get order by idempotency key: %w", err)
	}
	if len(got) == 0 {
		return order.Order{}, fmt.Errorf("get order by idempotency key: %w", order.ErrNotFound)
	}
	return got[0], nil
}

// productJSON is a product as FerretDB stores it in SQLite (its sjson: the
// values as JSON, ObjectIDs as hex, dates as milliseconds, and a "$s" key
// with the BSON types, ignored here). The fields are the adapter's
// mongodb.ProductDoc; TestListProductsAsStored compares the two readings.
type productJSON struct {
	ID          string `json:"_id"`
	SKU         string `json:"sku"`
	Name        string `json:"name"`
	Description string `json:"description"`
	PriceCents  int64  `json:"priceCents"`
	Currency    string `json:"currency"`
	Stock       int64  `json:"stock"`
	CreatedAt   int64  `json:"createdAt"`
	UpdatedAt   int64  `json:"updatedAt"`
}

// ListProducts: one SQLite query walking the _id_ index, the products
// decoded from their stored JSON. Reading each by _id through FerretDB
// instead (20 commands for a page) was 5-20 % slower than the adapter's
// scan of the load test's 100 products; this is one query whatever the
// catalogue's size.
func (s *store) ListProducts(ctx context.Context, after string, limit int) ([]order.Product, error) {
	var q query
	if err := q.after(after); err != nil {
		return nil, err
	}
	raws, err := s.idx.rows(ctx, `_ferretdb_sjson`, productsCollection, q, limit)
	if err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	out := make([]order.Product, 0, len(raws))
	for _, raw := range raws {
		var d productJSON
		if err := json.Unmarshal([]byte(raw), &d); err != nil {
			return nil, fmt.Errorf("list products: a stored product is not as expected: %w", err)
		}
		out = append(out, order.Product{
			ID: d.ID, SKU: d.SKU, Name: d.Name, Description: d.Description,
			PriceCents: d.PriceCents, Currency: d.Currency, Stock: d.Stock,
			CreatedAt: time.UnixMilli(d.CreatedAt).UTC(), UpdatedAt: time.UnixMilli(d.UpdatedAt).UTC(),
		})
	}
	return out, nil
}

// ListMarkedProducts: ids of products with a non-empty markers array, in
// _id order (there is no index on markers: SQLite walks the _id index and
// checks each row's array, without FerretDB decoding any document), then
// each product's markers by _id.
func (s *store) ListMarkedProducts(ctx context.Context, after string, limit int) ([]order.ProductMarkers, error) {
	var q query
	q.and(`json_array_length(` + colMarkers + `) > 0`)
	if err := q.after(after); err != nil {
		return nil, err
	}
	ids, err := s.idx.ids(ctx, productsCollection, q, limit)
	if err != nil {
		return nil, fmt.Errorf("list marked products: %w", err)
	}
	out := make([]order.ProductMarkers, 0, len(ids))
	for _, id := range ids {
		bid, err := mongodb.ObjectID(id)
		if err != nil {
			return nil, fmt.Errorf("list marked products: %w", err)
		}
		d, err := s.readProduct(ctx, bid)
		if errors.Is(err, order.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list marked products: %w", err)
		}
		if len(d.Markers) > 0 {
			out = append(out, order.ProductMarkers{ProductID: id, Markers: d.Markers})
		}
	}
	return out, nil
}

// OrderStates: Recover asks for the states of up to order.MaxOrderStates
// orders by id; the adapter's `_id $in` would make FerretDB decode every
// order. SQLite finds each id through the index New adds (idLookup) and
// returns the three fields, as FerretDB stores them: status a string,
// stockReleased a JSON boolean, updatedAt milliseconds.
func (s *store) OrderStates(ctx context.Context, ids []string) ([]order.OrderState, error) {
	out := []order.OrderState{}
	var args []any
	for _, id := range ids {
		if o, err := mongodb.ObjectID(id); err == nil {
			args = append(args, jsonString(o.Hex()))
		}
	}
	if len(args) == 0 {
		return out, nil
	}
	table, err := s.idx.table(ctx, ordersCollection)
	if err != nil || table == "" {
		return out, err
	}
	rows, err := s.idx.db.QueryContext(ctx, orderStatesSQL(table, len(args)), args...)
	if err != nil {
		s.idx.forget(ordersCollection)
		return nil, fmt.Errorf("get %d order states: %w", len(args), unavailable("query orders", err))
	}
	defer rows.Close()
	for rows.Next() {
		var st order.OrderState
		var status string
		var ms int64
		if err := rows.Scan(&st.ID, &status, &st.StockReleased, &ms); err != nil {
			return nil, fmt.Errorf("get order states: %w", unavailable("query orders", err))
		}
		st.Status, st.UpdatedAt = order.Status(status), time.UnixMilli(ms).UTC()
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("get order states: %w", unavailable("query orders", err))
	}
	return out, nil
}

// orderStatesSQL selects id, status, stockReleased and updatedAt of the
// orders whose ids are the n arguments.
func orderStatesSQL(table string, n int) string {
	return `SELECT _ferretdb_sjson->>'$._id', _ferretdb_sjson->>'$.status', ` + colReleased + ` = 'true', _ferretdb_sjson->>'$.updatedAt'` +
		` FROM "` + table + `" WHERE ` + idLookup + ` IN (?` + strings.Repeat(`, ?`, n-1) + `)`
}
