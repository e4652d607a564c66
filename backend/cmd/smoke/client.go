package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// The JSON shapes of the public API (backend/internal/httpapi/openapi.yaml),
// restated here so that the smoke test depends on the wire contract only.

type apiProduct struct {
	ID          string `json:"id"`
	SKU         string `json:"sku"`
	Name        string `json:"name"`
	Description string `json:"description"`
	PriceCents  int64  `json:"priceCents"`
	Currency    string `json:"currency"`
	Stock       int64  `json:"stock"`
}

type productCreate struct {
	SKU         string `json:"sku"`
	Name        string `json:"name"`
	Description string `json:"description"`
	PriceCents  int64  `json:"priceCents"`
	Currency    string `json:"currency"`
	Stock       int64  `json:"stock"`
}

type productPage struct {
	Items      []apiProduct `json:"items"`
	NextCursor string       `json:"nextCursor"`
}

type customer struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

type orderItemCreate struct {
	ProductID string `json:"productId"`
	Quantity  int64  `json:"quantity"`
}

type orderCreate struct {
	Customer customer          `json:"customer"`
	Items    []orderItemCreate `json:"items"`
}

type orderItem struct {
	ProductID      string `json:"productId"`
	SKU            string `json:"sku"`
	Quantity       int64  `json:"quantity"`
	UnitPriceCents int64  `json:"unitPriceCents"`
	LineTotalCents int64  `json:"lineTotalCents"`
}

type apiOrder struct {
	ID         string      `json:"id"`
	Customer   customer    `json:"customer"`
	Items      []orderItem `json:"items"`
	TotalCents int64       `json:"totalCents"`
	Currency   string      `json:"currency"`
	Status     string      `json:"status"`
}

// apiError is an answer with an unexpected status.
type apiError struct {
	Method, Path string
	Status       int
	Code         string // from {"error":{"code":...}}, if the body had one
	Message      string
	Body         string // the start of a body that was not an API error
}

func (e *apiError) Error() string {
	msg := fmt.Sprintf("%s %s: HTTP %d", e.Method, e.Path, e.Status)
	switch {
	case e.Code != "":
		msg += fmt.Sprintf(" %s: %s", e.Code, e.Message)
	case e.Body != "":
		msg += fmt.Sprintf(": %q", e.Body)
	}
	return msg
}

// retryable reports whether err is what a deployment that is still warming
// up answers: no connection or DNS yet, a load balancer without healthy
// targets or rules, or a service waiting for its database.
func retryable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		// The per-request timeout of http.Client is not a context error
		// (it reports as a *url.Error with Timeout()), so this is the
		// overall deadline or an interrupt: stop.
		return false
	}
	var ae *apiError
	if errors.As(err, &ae) {
		switch ae.Status {
		case http.StatusNotFound, http.StatusRequestTimeout, http.StatusTooEarly, http.StatusTooManyRequests:
			return true
		}
		return ae.Status >= 500
	}
	var ue *url.Error
	return errors.As(err, &ue)
}

// client calls the API of one deployment.
type client struct {
	base  *url.URL
	http  *http.Client
	token string
}

func (c *client) get(ctx context.Context, path string, out any) error {
	return c.do(ctx, http.MethodGet, path, false, nil, nil, http.StatusOK, out)
}

func (c *client) do(ctx context.Context, method, path string, admin bool, header map[string]string, in any, want int, out any) error {
	_, err := c.doHeader(ctx, method, path, admin, header, in, want, out)
	return err
}

// doHeader sends one request and decodes a `want` answer into out; any other
// status becomes an *apiError. It returns the response header.
func (c *client) doHeader(ctx context.Context, method, path string, admin bool, header map[string]string, in any, want int, out any) (http.Header, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "orderstack-smoke")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if admin {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s %s: %w", method, path, ctx.Err())
		}
		return nil, err // a *url.Error naming method and URL
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	if resp.StatusCode != want {
		return nil, newAPIError(method, path, resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return nil, fmt.Errorf("%s %s: decode %d answer: %w", method, path, resp.StatusCode, err)
		}
	}
	return resp.Header, nil
}

func newAPIError(method, path string, status int, raw []byte) *apiError {
	e := &apiError{Method: method, Path: path, Status: status}
	var env struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(raw, &env) == nil && env.Error.Code != "" {
		e.Code, e.Message = env.Error.Code, env.Error.Message
		return e
	}
	body := strings.TrimSpace(string(raw))
	if len(body) > 200 {
		body = body[:200] + "..."
	}
	e.Body = body
	return e
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return hex.EncodeToString(b), nil
}
