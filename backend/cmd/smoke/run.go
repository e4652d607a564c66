package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// config is what the command line and the environment ask for.
type config struct {
	baseURL        *url.URL
	adminToken     string
	productID      string
	timeout        time.Duration
	requestTimeout time.Duration
	maxBackoff     time.Duration
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("smoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	baseURL := fs.String("base-url", "", "public URL of the deployment, e.g. https://orders.example.com (required)")
	adminToken := fs.String("admin-token", "", "admin bearer token; creates a throw-away product (default $SMOKE_ADMIN_TOKEN)")
	productID := fs.String("product-id", "", "without an admin token: product to order (default: the first in stock)")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up after this long in total, warm-up included")
	requestTimeout := fs.Duration("request-timeout", 10*time.Second, "limit for each HTTP request")
	maxBackoff := fs.Duration("max-backoff", 15*time.Second, "longest pause between warm-up attempts")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	cfg := config{
		adminToken:     *adminToken,
		productID:      *productID,
		timeout:        *timeout,
		requestTimeout: *requestTimeout,
		maxBackoff:     *maxBackoff,
	}
	if cfg.adminToken == "" {
		cfg.adminToken = getenv("SMOKE_ADMIN_TOKEN")
	}
	if *baseURL == "" {
		return config{}, errors.New("-base-url is required")
	}
	u, err := url.Parse(strings.TrimRight(*baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return config{}, fmt.Errorf("-base-url %q: want an absolute http:// or https:// URL", *baseURL)
	}
	cfg.baseURL = u
	for name, d := range map[string]time.Duration{"-timeout": cfg.timeout, "-request-timeout": cfg.requestTimeout, "-max-backoff": cfg.maxBackoff} {
		if d <= 0 {
			return config{}, fmt.Errorf("%s must be positive, got %s", name, d)
		}
	}
	return cfg, nil
}

// run parses the flags and runs the smoke test; the error says which step
// failed and why.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()

	s := &smoke{
		api: &client{
			base:  cfg.baseURL,
			http:  &http.Client{Timeout: cfg.requestTimeout},
			token: cfg.adminToken,
		},
		cfg: cfg,
		out: stdout,
	}
	start := time.Now()
	fmt.Fprintf(stdout, "smoke test of %s (timeout %s)\n", cfg.baseURL, cfg.timeout)
	if err := s.run(ctx); err != nil {
		fmt.Fprintf(stdout, "FAILED after %s\n", time.Since(start).Round(time.Millisecond))
		if ctx.Err() != nil {
			return fmt.Errorf("%w (gave up after the %s timeout)", err, cfg.timeout)
		}
		return err
	}
	fmt.Fprintf(stdout, "PASSED in %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}

// smoke holds the state carried from one step to the next.
type smoke struct {
	api *client
	cfg config
	out io.Writer

	product      apiProduct
	created      bool // the product is ours: delete it at the end
	cancelled    bool // the order was cancelled (or never placed)
	stockBefore  int64
	order        apiOrder
	idempotency  string
	stockOrdered int64
}

const orderQuantity = 1

func (s *smoke) run(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			s.cleanUp(ctx)
		}
	}()
	steps := []struct {
		name string
		fn   func(context.Context) (string, error)
	}{
		{"wait for the API", s.waitReady},
		{"choose product", s.chooseProduct},
		{"place order", s.placeOrder},
		{"replay order", s.replayOrder},
		{"read order back", s.readOrder},
		{"stock reserved", s.checkReserved},
		{"cancel order", s.cancelOrder},
		{"stock restored", s.checkRestored},
		{"delete product", s.deleteProduct},
	}
	for _, st := range steps {
		t0 := time.Now()
		detail, err := st.fn(ctx)
		d := time.Since(t0).Round(time.Millisecond)
		if err != nil {
			fmt.Fprintf(s.out, "FAIL %-16s %9s  %v\n", st.name, d, err)
			return fmt.Errorf("%s: %w", st.name, err)
		}
		if detail == "" {
			continue // step not applicable
		}
		fmt.Fprintf(s.out, "ok   %-16s %9s  %s\n", st.name, d, detail)
	}
	return nil
}

// cleanUp runs after a failure, best effort: it cancels an order still
// holding stock (on a shared product that stock belongs to real customers)
// and deletes its own product. It reports what it did, never fails.
func (s *smoke) cleanUp(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*s.cfg.requestTimeout)
	defer cancel()
	if s.order.ID != "" && !s.cancelled {
		if err := s.api.do(ctx, http.MethodPost, "/api/v1/orders/"+s.order.ID+"/cancel", false, nil, nil, http.StatusOK, nil); err != nil {
			fmt.Fprintf(s.out, "     clean-up: could not cancel order %s: %v\n", s.order.ID, err)
		} else {
			fmt.Fprintf(s.out, "     clean-up: cancelled order %s\n", s.order.ID)
		}
	}
	if s.created {
		if err := s.api.do(ctx, http.MethodDelete, "/api/v1/products/"+s.product.ID, true, nil, nil, http.StatusNoContent, nil); err != nil {
			fmt.Fprintf(s.out, "     clean-up: could not delete product %s: %v\n", s.product.ID, err)
		} else {
			fmt.Fprintf(s.out, "     clean-up: deleted product %s\n", s.product.ID)
		}
	}
}

// waitReady polls a public endpoint until it answers 200, backing off
// between attempts while the load balancer, DNS or pods warm up. It retries
// only answers a warming deployment gives (network errors, 404 from a load
// balancer without rules yet, 408, 425, 429, 5xx); anything else fails at
// once because waiting would not change it.
func (s *smoke) waitReady(ctx context.Context) (string, error) {
	backoff := 250 * time.Millisecond
	var lastErr error
	for attempt := 1; ; attempt++ {
		var page productPage
		err := s.api.do(ctx, http.MethodGet, "/api/v1/products?limit=1", false, nil, nil, http.StatusOK, &page)
		if err == nil {
			return fmt.Sprintf("GET /api/v1/products answered 200 after %d attempt(s)", attempt), nil
		}
		if ctx.Err() != nil { // the overall deadline ended this attempt
			if lastErr == nil {
				lastErr = err
			}
			return "", fmt.Errorf("not ready after %d attempts, last error: %w", attempt, lastErr)
		}
		if !retryable(err) {
			return "", err
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("not ready after %d attempts, last error: %w", attempt, lastErr)
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, s.cfg.maxBackoff)
	}
}

func (s *smoke) chooseProduct(ctx context.Context) (string, error) {
	if s.api.token != "" {
		suffix, err := randomHex(6)
		if err != nil {
			return "", err
		}
		in := productCreate{
			SKU:         "smoke-" + suffix,
			Name:        "Smoke test product",
			Description: "Created and deleted by cmd/smoke.",
			PriceCents:  1234,
			Currency:    "EUR",
			Stock:       5,
		}
		if err := s.api.do(ctx, http.MethodPost, "/api/v1/products", true, nil, in, http.StatusCreated, &s.product); err != nil {
			return "", fmt.Errorf("create product: %w", err)
		}
		s.created = true
		if s.product.ID == "" || s.product.Stock != in.Stock || s.product.PriceCents != in.PriceCents {
			return "", fmt.Errorf("create product: answer %+v does not match the request %+v", s.product, in)
		}
		s.stockBefore = s.product.Stock
		return fmt.Sprintf("created %s (sku %s, stock %d)", s.product.ID, s.product.SKU, s.product.Stock), nil
	}
	if s.cfg.productID != "" {
		if err := s.api.get(ctx, "/api/v1/products/"+url.PathEscape(s.cfg.productID), &s.product); err != nil {
			return "", fmt.Errorf("read product: %w", err)
		}
		if s.product.Stock < orderQuantity {
			return "", fmt.Errorf("product %s has no stock", s.product.ID)
		}
	} else {
		found, err := s.findInStock(ctx)
		if err != nil {
			return "", err
		}
		s.product = found
	}
	s.stockBefore = s.product.Stock
	return fmt.Sprintf("using existing %s (sku %s, stock %d; no admin token)", s.product.ID, s.product.SKU, s.product.Stock), nil
}

// findInStock pages through the catalogue for a product with stock.
func (s *smoke) findInStock(ctx context.Context) (apiProduct, error) {
	cursor := ""
	for range 20 { // at most 2000 products: enough to find one, bounded
		path := "/api/v1/products?limit=100"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		var page productPage
		if err := s.api.get(ctx, path, &page); err != nil {
			return apiProduct{}, fmt.Errorf("list products: %w", err)
		}
		for _, p := range page.Items {
			if p.Stock >= orderQuantity {
				return p, nil
			}
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	return apiProduct{}, errors.New("no product in stock: give an admin token (env SMOKE_ADMIN_TOKEN or -admin-token) so the smoke test creates its own")
}

func (s *smoke) orderRequest() orderCreate {
	return orderCreate{
		Customer: customer{Name: "Smoke Test", Email: "smoke-test@example.com"},
		Items:    []orderItemCreate{{ProductID: s.product.ID, Quantity: orderQuantity}},
	}
}

func (s *smoke) placeOrder(ctx context.Context) (string, error) {
	key, err := randomHex(16)
	if err != nil {
		return "", err
	}
	s.idempotency = "smoke-" + key
	hdr := map[string]string{"Idempotency-Key": s.idempotency}
	if err := s.api.do(ctx, http.MethodPost, "/api/v1/orders", false, hdr, s.orderRequest(), http.StatusCreated, &s.order); err != nil {
		return "", err
	}
	if err := s.checkOrder(s.order, "pending"); err != nil {
		return "", err
	}
	return fmt.Sprintf("order %s, %d x %s, total %d %s", s.order.ID, orderQuantity, s.product.SKU, s.order.TotalCents, s.order.Currency), nil
}

// replayOrder sends the same request with the same Idempotency-Key: a
// client retry must get the same order back, not a second one.
func (s *smoke) replayOrder(ctx context.Context) (string, error) {
	var again apiOrder
	hdr := map[string]string{"Idempotency-Key": s.idempotency}
	h, err := s.api.doHeader(ctx, http.MethodPost, "/api/v1/orders", false, hdr, s.orderRequest(), http.StatusOK, &again)
	if err != nil {
		return "", err
	}
	if again.ID != s.order.ID {
		return "", fmt.Errorf("replay returned order %s, want %s", again.ID, s.order.ID)
	}
	if got := h.Get("Idempotent-Replayed"); got != "true" {
		return "", fmt.Errorf("replay header Idempotent-Replayed = %q, want \"true\"", got)
	}
	return "same Idempotency-Key returned the same order", nil
}

func (s *smoke) readOrder(ctx context.Context) (string, error) {
	var got apiOrder
	if err := s.api.get(ctx, "/api/v1/orders/"+s.order.ID, &got); err != nil {
		return "", err
	}
	if got.ID != s.order.ID {
		return "", fmt.Errorf("read order %s, got id %s", s.order.ID, got.ID)
	}
	if err := s.checkOrder(got, "pending"); err != nil {
		return "", err
	}
	return fmt.Sprintf("order %s is %s", got.ID, got.Status), nil
}

func (s *smoke) checkReserved(ctx context.Context) (string, error) {
	var p apiProduct
	if err := s.api.get(ctx, "/api/v1/products/"+s.product.ID, &p); err != nil {
		return "", err
	}
	s.stockOrdered = p.Stock
	want := s.stockBefore - orderQuantity
	if s.created && p.Stock != want {
		return "", fmt.Errorf("stock after order = %d, want %d", p.Stock, want)
	}
	return fmt.Sprintf("stock %d -> %d", s.stockBefore, p.Stock), nil
}

func (s *smoke) cancelOrder(ctx context.Context) (string, error) {
	var got apiOrder
	if err := s.api.do(ctx, http.MethodPost, "/api/v1/orders/"+s.order.ID+"/cancel", false, nil, nil, http.StatusOK, &got); err != nil {
		return "", err
	}
	if got.Status != "cancelled" {
		return "", fmt.Errorf("status after cancel = %q, want \"cancelled\"", got.Status)
	}
	s.cancelled = true
	return fmt.Sprintf("order %s is %s", got.ID, got.Status), nil
}

// checkRestored verifies the cancelled order gave its stock back. On our
// own product the numbers must match exactly. On a shared product (no admin
// token) it checks that the stock went up by what the order held; orders by
// real customers in between can make that check fail, which is why CI and
// `make deploy` always pass the admin token.
func (s *smoke) checkRestored(ctx context.Context) (string, error) {
	var p apiProduct
	if err := s.api.get(ctx, "/api/v1/products/"+s.product.ID, &p); err != nil {
		return "", err
	}
	if s.created && p.Stock != s.stockBefore {
		return "", fmt.Errorf("stock after cancel = %d, want %d (as before the order)", p.Stock, s.stockBefore)
	}
	if !s.created && p.Stock < s.stockOrdered+orderQuantity {
		return "", fmt.Errorf("stock after cancel = %d, want at least %d", p.Stock, s.stockOrdered+orderQuantity)
	}
	return fmt.Sprintf("stock %d -> %d", s.stockOrdered, p.Stock), nil
}

func (s *smoke) deleteProduct(ctx context.Context) (string, error) {
	if !s.created {
		return "", nil
	}
	if err := s.api.do(ctx, http.MethodDelete, "/api/v1/products/"+s.product.ID, true, nil, nil, http.StatusNoContent, nil); err != nil {
		return "", err
	}
	s.created = false
	return fmt.Sprintf("deleted %s", s.product.ID), nil
}

// checkOrder compares an order with what the smoke test asked for.
func (s *smoke) checkOrder(o apiOrder, status string) error {
	var problems []string
	if len(o.ID) != 24 {
		problems = append(problems, fmt.Sprintf("id %q is not 24 hex digits", o.ID))
	}
	if o.Status != status {
		problems = append(problems, fmt.Sprintf("status %q, want %q", o.Status, status))
	}
	if len(o.Items) != 1 || o.Items[0].ProductID != s.product.ID || o.Items[0].Quantity != orderQuantity {
		problems = append(problems, fmt.Sprintf("items %+v, want %d x %s", o.Items, orderQuantity, s.product.ID))
	}
	if want := s.product.PriceCents * orderQuantity; o.TotalCents != want {
		problems = append(problems, fmt.Sprintf("totalCents %d, want %d", o.TotalCents, want))
	}
	if o.Currency != s.product.Currency {
		problems = append(problems, fmt.Sprintf("currency %q, want %q", o.Currency, s.product.Currency))
	}
	if len(problems) > 0 {
		return fmt.Errorf("order %s: %s", o.ID, strings.Join(problems, "; "))
	}
	return nil
}
