package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/orderstack/orderstack/backend/internal/order"
)

// validator is a request type that can check itself. Valid returns the
// problems by JSON field name; empty means valid.
type validator interface {
	Valid(ctx context.Context) map[string]string
}

// encode writes v as JSON with status.
func encode(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		return fmt.Errorf("encode json: %w", err)
	}
	return nil
}

// decode reads one JSON value of type T from the body, at most maxBytes of
// it. The errors it returns are *apiError with the status to answer: 415 for
// a Content-Type other than application/json, 413 for a body over maxBytes,
// 400 for malformed JSON, a wrong type, an unknown field or trailing data.
func decode[T any](w http.ResponseWriter, r *http.Request, maxBytes int64) (T, error) {
	var v T
	if err := checkContentType(r); err != nil {
		return v, err
	}
	body := http.MaxBytesReader(w, r.Body, maxBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return v, decodeError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return v, decodeError(err)
		}
		return v, invalidJSON("body must hold a single JSON object and nothing after it")
	}
	return v, nil
}

// decodeValid decodes like decode and then runs the value's Valid; problems
// become a *order.ValidationError (400 validation_failed).
func decodeValid[T validator](w http.ResponseWriter, r *http.Request, maxBytes int64) (T, error) {
	v, err := decode[T](w, r, maxBytes)
	if err != nil {
		return v, err
	}
	if problems := v.Valid(r.Context()); len(problems) > 0 {
		return v, &order.ValidationError{Fields: problems}
	}
	return v, nil
}

func checkContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || mt != "application/json" {
		return &apiError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
			message: "Content-Type must be application/json"}
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return &apiError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
			message: "the only charset accepted is utf-8"}
	}
	return nil
}

// decodeError turns a json.Decoder error into the client error to answer.
func decodeError(err error) error {
	var (
		mbe    *http.MaxBytesError
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mbe):
		return &apiError{status: http.StatusRequestEntityTooLarge, code: "body_too_large",
			message: fmt.Sprintf("request body must be at most %d bytes", mbe.Limit)}
	case errors.Is(err, io.EOF):
		return invalidJSON("request body is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalidJSON("request body is truncated JSON")
	case errors.As(err, &syntax):
		return invalidJSON(fmt.Sprintf("malformed JSON at byte %d", syntax.Offset))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return invalidJSON(fmt.Sprintf("body must be a JSON object, not %s", typ.Value))
		}
		e := invalidJSON(fmt.Sprintf("field %q must be %s, not %s", field, jsonType(typ.Type.String()), typ.Value))
		e.fields = map[string]string{field: "must be " + jsonType(typ.Type.String())}
		return e
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no typed error for this; the message is stable.
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		e := invalidJSON(fmt.Sprintf("unknown field %q", field))
		e.fields = map[string]string{field: "is not a known field"}
		return e
	default:
		return invalidJSON("malformed JSON")
	}
}

func jsonType(goType string) string {
	switch {
	case strings.HasPrefix(goType, "int") || strings.HasPrefix(goType, "*int"):
		return "an integer"
	case strings.HasSuffix(goType, "string"):
		return "a string"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	default:
		return "an object"
	}
}

func invalidJSON(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "invalid_json", message: msg}
}
