package httpapi

import (
	"context"
	_ "embed"
	"errors"
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

func handleHealthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = encode(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// handleReadyz answers 200 when the store answers a ping within
// cfg.ReadyTimeout, 503 when it does not or the server is draining.
func handleReadyz(logger *slog.Logger, svc *order.Service, cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if cfg.Draining() {
			writeError(w, r, logger, errDraining)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), cfg.ReadyTimeout)
		defer cancel()
		if err := svc.Ping(ctx); err != nil {
			if !errors.Is(err, order.ErrUnavailable) {
				err = errors.Join(order.ErrUnavailable, err)
			}
			writeError(w, r, logger, err)
			return
		}
		_ = encode(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

func handleOpenAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write(openAPIDoc)
	})
}

func handleProductCreate(logger *slog.Logger, svc *order.Service, cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decodeValid[productCreateRequest](w, r, cfg.MaxBodyBytes)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		p, err := svc.CreateProduct(r.Context(), req.product())
		if errors.Is(err, order.ErrConflict) {
			err = &apiError{status: http.StatusConflict, code: "conflict", message: "a product with this sku exists",
				fields: map[string]string{"sku": "is taken"}}
		}
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		w.Header().Set("Location", "/api/v1/products/"+p.ID)
		_ = encode(w, http.StatusCreated, toProductJSON(p))
	})
}

func handleProductList(logger *slog.Logger, svc *order.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		after, limit, err := pageParams(q)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		ps, err := svc.ListProducts(r.Context(), after, limit+1)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		out := page[productJSON]{Items: make([]productJSON, 0, min(len(ps), limit))}
		for i, p := range ps {
			if i == limit {
				out.NextCursor = encodeCursor(ps[i-1].ID)
				break
			}
			out.Items = append(out.Items, toProductJSON(p))
		}
		_ = encode(w, http.StatusOK, out)
	})
}

func handleProductGet(logger *slog.Logger, svc *order.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := svc.GetProduct(r.Context(), r.PathValue("id"))
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		_ = encode(w, http.StatusOK, toProductJSON(p))
	})
}

func handleProductUpdate(logger *slog.Logger, svc *order.Service, cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if !order.ValidID(id) {
			writeError(w, r, logger, errNotFound)
			return
		}
		req, err := decodeValid[productPatchRequest](w, r, cfg.MaxBodyBytes)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		p, err := svc.UpdateProduct(r.Context(), id, req.patch())
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		_ = encode(w, http.StatusOK, toProductJSON(p))
	})
}

func handleProductDelete(logger *slog.Logger, svc *order.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := svc.DeleteProduct(r.Context(), r.PathValue("id")); err != nil {
			writeError(w, r, logger, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// handleOrderCreate places an order. With an Idempotency-Key header a
// retry of the same request returns the first order with 200 and
// Idempotent-Replayed: true; the same key with another body is 422.
func handleOrderCreate(logger *slog.Logger, svc *order.Service, m *Metrics, cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, hasKey := r.Header["Idempotency-Key"]
		if hasKey && len(key) != 1 {
			writeError(w, r, logger, &order.ValidationError{Fields: map[string]string{"Idempotency-Key": "must be sent once"}})
			return
		}
		var k string
		if hasKey {
			if k = key[0]; order.ValidateIdempotencyKey(k) != "" {
				writeError(w, r, logger, &order.ValidationError{Fields: map[string]string{"Idempotency-Key": order.ValidateIdempotencyKey(k)}})
				return
			}
		}
		req, err := decodeValid[orderCreateRequest](w, r, cfg.MaxBodyBytes)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		o, created, err := svc.PlaceOrder(r.Context(), req.placeOrder(k))
		if err != nil {
			if errors.Is(err, order.ErrInsufficientStock) {
				m.stockConflicts.Inc()
			}
			writeError(w, r, logger, err)
			return
		}
		w.Header().Set("Location", "/api/v1/orders/"+o.ID)
		if !created {
			w.Header().Set("Idempotent-Replayed", "true")
			_ = encode(w, http.StatusOK, toOrderJSON(o))
			return
		}
		m.ordersCreated.Inc()
		m.orderValue.WithLabelValues(o.Currency).Observe(float64(o.TotalCents))
		_ = encode(w, http.StatusCreated, toOrderJSON(o))
	})
}

func handleOrderGet(logger *slog.Logger, svc *order.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o, err := svc.GetOrder(r.Context(), r.PathValue("id"))
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		_ = encode(w, http.StatusOK, toOrderJSON(o))
	})
}

func handleOrderCancel(logger *slog.Logger, svc *order.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o, err := svc.CancelOrder(r.Context(), r.PathValue("id"))
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		_ = encode(w, http.StatusOK, toOrderJSON(o))
	})
}

func handleOrderStatus(logger *slog.Logger, svc *order.Service, cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if !order.ValidID(id) {
			writeError(w, r, logger, errNotFound)
			return
		}
		req, err := decodeValid[orderStatusRequest](w, r, cfg.MaxBodyBytes)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		o, err := svc.SetStatus(r.Context(), id, order.Status(req.Status))
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		_ = encode(w, http.StatusOK, toOrderJSON(o))
	})
}

func handleOrderList(logger *slog.Logger, svc *order.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		after, limit, err := pageParams(q)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		f := order.OrderFilter{After: after, Limit: limit + 1, Email: q.Get("email")}
		problems := map[string]string{}
		if s := q.Get("status"); s != "" {
			st, ok := order.ParseStatus(s)
			if !ok {
				problems["status"] = "must be one of pending, paid, shipped, delivered, cancelled"
			}
			f.Status = st
		}
		if len(f.Email) > order.MaxEmailLen {
			problems["email"] = "must be at most 254 characters"
		}
		if len(problems) > 0 {
			writeError(w, r, logger, &order.ValidationError{Fields: problems})
			return
		}
		os, err := svc.ListOrders(r.Context(), f)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		out := page[orderJSON]{Items: make([]orderJSON, 0, min(len(os), limit))}
		for i, o := range os {
			if i == limit {
				out.NextCursor = encodeCursor(os[i-1].ID)
				break
			}
			out.Items = append(out.Items, toOrderJSON(o))
		}
		_ = encode(w, http.StatusOK, out)
	})
}

// pageParams reads cursor and limit; bad values are a 400 naming them.
func pageParams(q url.Values) (after string, limit int, err error) {
	problems := map[string]string{}
	limit = defaultLimit
	if s := q.Get("limit"); s != "" || q.Has("limit") {
		n, convErr := strconv.Atoi(s)
		if convErr != nil || n < 1 || n > maxLimit {
			problems["limit"] = "must be an integer from 1 to 100"
		}
		limit = n
	}
	after, ok := decodeCursor(q.Get("cursor"))
	if !ok {
		problems["cursor"] = "is not a cursor this API returned"
	}
	if len(problems) > 0 {
		return "", 0, &order.ValidationError{Fields: problems}
	}
	return after, limit, nil
}
