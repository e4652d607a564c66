package main

import (
	"context"
	"errors"

	"github.com/orderstack/orderstack/backend/internal/order"
)

// demoProducts are what -seed adds.
var demoProducts = []order.Product{
	{SKU: "MUG-BLUE", Name: "Blue mug", Description: "Stoneware, 350 ml", PriceCents: 1200, Currency: "EUR", Stock: 25},
	{SKU: "TEE-M", Name: "T-shirt, size M", Description: "Organic cotton", PriceCents: 2500, Currency: "EUR", Stock: 40},
	{SKU: "BEANS-1KG", Name: "Coffee beans, 1 kg", Description: "Medium roast", PriceCents: 2990, Currency: "EUR", Stock: 15},
	{SKU: "STICKER-PACK", Name: "Sticker pack", Description: "Ten vinyl stickers", PriceCents: 499, Currency: "EUR", Stock: 200},
	{SKU: "LAST-ONE", Name: "Limited print", Description: "Only one left", PriceCents: 9900, Currency: "EUR", Stock: 1},
}

// seed adds the demo products whose SKU is free and returns how many it
// added, so running with -seed again changes nothing.
func seed(ctx context.Context, store order.Store) (int, error) {
	svc := order.NewService(store)
	added := 0
	for _, p := range demoProducts {
		_, err := svc.CreateProduct(ctx, p)
		switch {
		case err == nil:
			added++
		case errors.Is(err, order.ErrConflict):
			// already there
		default:
			return added, err
		}
	}
	return added, nil
}
