package httpapi

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// The OpenAPI document, loaded and validated once; every response the
// handler tests get through testEnv.do is checked against it.
var spec = sync.OnceValues(func() (routers.Router, error) {
	doc, err := openapi3.NewLoader().LoadFromData(openAPIDoc)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, err
	}
	return legacy.NewRouter(doc)
})

func TestOpenAPIDocumentValid(t *testing.T) {
	if _, err := spec(); err != nil {
		t.Fatalf("openapi.yaml is not a valid OpenAPI 3 document: %v", err)
	}
}

// checkResponse fails the test when w is not a response the document
// allows for r: an undocumented status code, a body not matching the
// schema, a wrong Content-Type. Requests to unknown routes (404/405) are
// not in the document and are skipped.
func checkResponse(tb testing.TB, r *http.Request, body []byte, w *httptest.ResponseRecorder) {
	tb.Helper()
	router, err := spec()
	if err != nil {
		tb.Fatalf("load openapi.yaml: %v", err)
	}
	// The router matches on scheme and host from the servers list ("/").
	rr := r.Clone(context.Background())
	rr.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := router.FindRoute(rr)
	if err != nil {
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: rr, PathParams: params, Route: route},
		Status:                 w.Code,
		Header:                 w.Header(),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(w.Body.Bytes())
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		tb.Errorf("%s %s → %d %s\ndoes not match openapi.yaml: %v", r.Method, r.URL, w.Code, w.Body, err)
	}
}
