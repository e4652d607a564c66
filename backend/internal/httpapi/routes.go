package httpapi

import (
	"log/slog"
	"net/http"

	"github.com/orderstack/orderstack/backend/internal/order"
)

// addRoutes is the whole API surface. Every pattern here is documented in
// openapi.yaml; TestOpenAPIMatchesRoutes keeps the two in step.
func addRoutes(handle func(string, http.Handler), logger *slog.Logger, svc *order.Service, m *Metrics, cfg Config) {
	admin := adminOnly(logger, cfg.AdminToken)
	api := func(h http.Handler) http.Handler {
		return ready(logger, cfg.Unready, withTimeout(cfg.RequestTimeout, h))
	}

	handle("GET /healthz", handleHealthz())
	handle("GET /readyz", handleReadyz(logger, svc, cfg))
	handle("GET /api/v1/openapi.yaml", handleOpenAPI())

	handle("POST /api/v1/products", api(admin(handleProductCreate(logger, svc, cfg))))
	handle("GET /api/v1/products", api(handleProductList(logger, svc)))
	handle("GET /api/v1/products/{id}", api(handleProductGet(logger, svc)))
	handle("PATCH /api/v1/products/{id}", api(admin(handleProductUpdate(logger, svc, cfg))))
	handle("DELETE /api/v1/products/{id}", api(admin(handleProductDelete(logger, svc))))

	handle("POST /api/v1/orders", api(handleOrderCreate(logger, svc, m, cfg)))
	handle("GET /api/v1/orders", api(admin(handleOrderList(logger, svc))))
	handle("GET /api/v1/orders/{id}", api(handleOrderGet(logger, svc)))
	handle("POST /api/v1/orders/{id}/cancel", api(handleOrderCancel(logger, svc)))
	handle("POST /api/v1/orders/{id}/status", api(admin(handleOrderStatus(logger, svc, cfg))))
}
