package httpapi

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"

	"github.com/orderstack/orderstack/backend/internal/order"
)

const (
	defaultLimit = 20
	maxLimit     = 100
)

//go:embed openapi.yaml
var openAPIDoc []byte

// handlerFunc is a handler that returns its error instead of writing it;
// withErrors is the one adapter that writes it (golang/pkgsite's
// errorHandler). A handler returns nil after it has written its answer.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func withErrors(logger *slog.Logger, f handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := f(w, r); err != nil {
			writeError(w, r, logger, err)
		}
	})
}

func handleHealthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		encode(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// handleReadyz answers 200 when the store answers a ping within
// cfg.ReadyTimeout, 503 when it does not or the server is draining.
func handleReadyz(logger *slog.Logger, svc *order.Service, cfg Config) http.Handler {
	return withErrors(logger, func(w http.ResponseWriter, r *http.Request) error {
		if cfg.Draining() {
			return errDraining
		}
		if err := cfg.Unready(); err != nil {
			return fmt.Errorf("%w: %w", order.ErrUnavailable, err)
		}
		ctx, cancel := context.WithTimeout(r.Context(), cfg.ReadyTimeout)
		defer cancel()
		if err := svc.Ping(ctx); err != nil {
			if !errors.Is(err, order.ErrUnavailable) {
				err = errors.Join(order.ErrUnavailable, err)
			}
			return err
		}
		encode(w, http.StatusOK, map[string]string{"status": "ok"})
		return nil
	})
}

func handleOpenAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write(openAPIDoc)
	})
}

func handleProductCreate(logger *slog.Logger, svc *order.Service, cfg Config) http.Handler {
	return withErrors(logger, func(w http.ResponseWriter, r *http.Request) error {
		req, err := decodeValid[productCreateRequest](w, r, cfg.MaxBodyBytes)
		if err != nil {
			return err
		}
		p, err := svc.CreateProduct(r.Context(), req.product())
		if errors.Is(err, order.ErrConflict) {
			return &apiError{status: http.StatusConflict, code: "conflict", message: "a product with this sku exists",
				fields: map[string]string{"sku": "is taken"}}
		}
		if err != nil {
			return err
		}
		w.Header().Set("Location", "/api/v1/products/"+p.ID)
		encode(w, http.StatusCreated, toProductJSON(p))
		return nil
	})
}

func handleProductList(logger *slog.Logger, svc *order.Service) http.Handler {
	return withErrors(logger, func(w http.ResponseWriter, r *http.Request) error {
		after, limit, err := pageParams(r.URL.Query(), nil)
		if err != nil {
			return err
		}
		ps, err := svc.ListProducts(r.Context(), after, limit+1)
		if err != nil {
			return err
		}
		encode(w, http.StatusOK, pageOf(ps, limit, func(p order.Product) string { return p.ID }, toProductJSON))
		return nil
	})
}

func handleProductGet(logger *slog.Logger, svc *order.Service) http.Handler {
	return withErrors(logger, func(w http.ResponseWriter, r *http.Request) error {
		p, err := svc.GetProduct(r.Context(), r.PathValue("id"))
		if err != nil {
			return err
		}
		encode(w, http.StatusOK, toProductJSON(p))
		return nil
	})
}

func handleProductUpdate(logger *slog.Logger, svc *order.Service, cfg Config) http.Handler {
	return withErrors(logger, func(w http.ResponseWriter, r *http.Request) error {
		id := r.PathValue("id")
		if !order.ValidID(id) {
			return errNotFound
		}
		req, err := decodeValid[productPatchRequest](w, r, cfg.MaxBodyBytes)
		if err != nil {
			return err
		}
		p, err := svc.UpdateProduct(r.Context(), id, req.patch())
		if err != nil {
			return err
		}
		encode(w, http.StatusOK, toProductJSON(p))
		return nil
	})
}

func handleProductDelete(logger *slog.Logger, svc *order.Service) http.Handler {
	return withErrors(logger, func(w http.ResponseWriter, r *http.Request) error {
		if err := svc.DeleteProduct(r.Context(), r.PathValue("id")); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

// handleOrderCreate places an order. With an Idempotency-Key header a
// retry of the same request returns the first order with 200 and
// Idempotent-Replayed: true; the same key with another body is 422.
func handleOrderCreate(logger *slog.Logger, svc *order.Service, m *Metrics, cfg Config) http.Handler {
	return withErrors(logger, func(w http.ResponseWriter, r *http.Request) error {
		key, hasKey := r.Header["Idempotency-Key"]
		if hasKey && len(key) != 1 {
			return &order.ValidationError{Fields: map[string]string{"Idempotency-Key": "must be sent once"}}
		}
		var k string
		if hasKey {
			k = key[0]
			if msg := order.ValidateIdempotencyKey(k); msg != "" {
				return &order.ValidationError{Fields: map[string]string{"Idempotency-Key": msg}}
			}
		}
		req, err := decodeValid[orderCreateRequest](w, r, cfg.MaxBodyBytes)
		if err != nil {
			return err
		}
		o, created, err := svc.PlaceOrder(r.Context(), req.placeOrder(k))
		if err != nil {
			if errors.Is(err, order.ErrInsufficientStock) {
				m.stockConflicts.Inc()
			}
			return err
		}
		w.Header().Set("Location", "/api/v1/orders/"+o.ID)
		if !created {
			w.Header().Set("Idempotent-Replayed", "true")
			encode(w, http.StatusOK, toOrderJSON(o))
			return nil
		}
		m.ordersCreated.Inc()
		m.orderValue.WithLabelValues(o.Currency).Observe(float64(o.TotalCents))
		encode(w, http.StatusCreated, toOrderJSON(o))
		return nil
	})
}

func handleOrderGet(logger *slog.Logger, svc *order.Service) http.Handler {
	return withErrors(logger, func(w http.ResponseWriter, r *http.Request) error {
		o, err := svc.GetOrder(r.Context(), r.PathValue("id"))
		if err != nil {
			return err
		}
		encode(w, http.StatusOK, toOrderJSON(o))
		return nil
	})
}

func handleOrderCancel(logger *slog.Logger, svc *order.Service) http.Handler {
	return withErrors(logger, func(w http.ResponseWriter, r *http.Request) error {
		o, err := svc.CancelOrder(r.Context(), r.PathValue("id"))
		if err != nil {
			return err
		}
		encode(w, http.StatusOK, toOrderJSON(o))
		return nil
	})
}

func handleOrderStatus(logger *slog.Logger, svc *order.Service, cfg Config) http.Handler {
	return withErrors(logger, func(w http.ResponseWriter, r *http.Request) error {
		id := r.PathValue("id")
		if !order.ValidID(id) {
			return errNotFound
		}
		req, err := decodeValid[orderStatusRequest](w, r, cfg.MaxBodyBytes)
		if err != nil {
			return err
		}
		o, err := svc.SetStatus(r.Context(), id, order.Status(req.Status))
		if err != nil {
			return err
		}
		encode(w, http.StatusOK, toOrderJSON(o))
		return nil
	})
}

func handleOrderList(logger *slog.Logger, svc *order.Service) http.Handler {
	return withErrors(logger, func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		f := order.OrderFilter{Email: q.Get("email")}
		after, limit, err := pageParams(q, func(problems map[string]string) {
			if s := q.Get("status"); s != "" {
				st, ok := order.ParseStatus(s)
				if !ok {
					problems["status"] = order.StatusChoices()
				}
				f.Status = st
			}
			if len(f.Email) > order.MaxEmailLen {
				problems["email"] = fmt.Sprintf("must be at most %d characters", order.MaxEmailLen)
			}
		})
		if err != nil {
			return err
		}
		f.After, f.Limit = after, limit+1
		os, err := svc.ListOrders(r.Context(), f)
		if err != nil {
			return err
		}
		encode(w, http.StatusOK, pageOf(os, limit, func(o order.Order) string { return o.ID }, toOrderJSON))
		return nil
	})
}

// pageParams reads cursor and limit, and runs filters (nil: none) to add
// the list's own query problems; every bad value is a 400 naming it.
func pageParams(q url.Values, filters func(problems map[string]string)) (after string, limit int, err error) {
	problems := map[string]string{}
	limit = defaultLimit
	if s := q.Get("limit"); s != "" || q.Has("limit") {
		n, convErr := strconv.Atoi(s)
		if convErr != nil || n < 1 || n > maxLimit {
			problems["limit"] = fmt.Sprintf("must be an integer from 1 to %d", maxLimit)
		}
		limit = n
	}
	after, ok := decodeCursor(q.Get("cursor"))
	if !ok {
		problems["cursor"] = "is not a cursor this API returned"
	}
	if filters != nil {
		filters(problems)
	}
	if len(problems) > 0 {
		return "", 0, &order.ValidationError{Fields: problems}
	}
	return after, limit, nil
}

// pageOf is the one page builder of the list endpoints: items holds up to
// limit+1 entries (the store was asked for one more), the first limit are
// the page, and an extra one means there is a next page, whose cursor is
// the id of the page's last entry.
func pageOf[T, J any](items []T, limit int, id func(T) string, toJSON func(T) J) page[J] {
	out := page[J]{Items: make([]J, 0, min(len(items), limit))}
	for i, it := range items {
		if i == limit {
			out.NextCursor = encodeCursor(id(items[i-1]))
			break
		}
		out.Items = append(out.Items, toJSON(it))
	}
	return out
}
