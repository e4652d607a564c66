package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/orderstack/orderstack/backend/internal/order"
)

// validator is a request type that can check itself. Valid returns the
// problems by JSON field name; empty means valid.
type validator interface {
	Valid(ctx context.Context) map[string]string
}

// encode writes v as JSON with status. A failed write means the client is
// gone; there is nobody to tell.
func encode[T any](w http.ResponseWriter, status int, v T) {
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(status)
	// Generic, so that a product or an order is not copied into an
	// interface (an allocation of the whole struct) on its way here; the
	// fast encoders are called directly, so v stays on the stack.
	var (
		bp *[]byte // a pooled buffer, for the fast encoders only
		b  []byte
		ok bool
	)
	switch p := any(&v).(type) {
	case *productJSON:
		bp = bufPool.Get().(*[]byte)
		b, ok = appendProductJSON((*bp)[:0], p)
	case *orderJSON:
		bp = bufPool.Get().(*[]byte)
		b, ok = appendOrderJSON((*bp)[:0], p)
	}
	if ok {
		_, _ = w.Write(append(b, '\n'))
	}
	if bp != nil && cap(b) <= 16<<10 {
		*bp = b
		bufPool.Put(bp)
	}
	if !ok {
		_ = json.NewEncoder(w).Encode(v)
	}
}

// bufPool holds the buffers of the fast encoders (encode).
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// jsonContentType is shared by every response: net/http only reads header
// values, and its capacity of 1 makes an Add copy it rather than write into
// it.
var jsonContentType = []string{"application/json"}[:1:1]

// decodeOptions make decoding strict where encoding/json is lenient: an
// unknown member is an error (the schema says additionalProperties:
// false), and go-json-experiment's defaults hold: names match exactly
// (PRICECENTS is not priceCents), a name twice in one object is an error
// (not "last wins"), and invalid UTF-8 is an error (not replaced by U+FFFD).
var decodeOptions = jsonv2.JoinOptions(
	jsonv2.RejectUnknownMembers(true),
	jsontext.AllowDuplicateNames(false),
	jsontext.AllowInvalidUTF8(false),
)

// decode reads one JSON value of type T from the body, at most maxBytes of
// it. The errors it returns are *apiError with the status to answer: 415 for
// a Content-Type other than application/json, 413 for a body over maxBytes,
// 400 invalid_json for malformed JSON, invalid UTF-8, a wrong type, an
// unknown or repeated member or trailing data, naming the member by its
// path (customer.email, items[0].quantity) where there is one.
func decode[T any](w http.ResponseWriter, r *http.Request, maxBytes int64) (T, error) {
	var v T
	if err := checkContentType(r); err != nil {
		return v, err
	}
	// UnmarshalRead reads to EOF: a second value or trailing bytes are errors.
	if err := jsonv2.UnmarshalRead(http.MaxBytesReader(w, r.Body, maxBytes), &v, decodeOptions); err != nil {
		return v, decodeError(err)
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
	if ct == "application/json" {
		return nil // what nearly every client sends: mime.ParseMediaType's answer without its map
	}
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

// decodeError turns a decoding error into the client error to answer.
func decodeError(err error) error {
	var (
		mbe *http.MaxBytesError
		syn *jsontext.SyntacticError
		sem *jsonv2.SemanticError
	)
	switch {
	case errors.As(err, &mbe):
		return &apiError{status: http.StatusRequestEntityTooLarge, code: "body_too_large",
			message: fmt.Sprintf("request body must be at most %d bytes", mbe.Limit)}
	case errors.Is(err, io.EOF):
		return invalidJSON("request body is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalidJSON("request body is truncated JSON")
	case errors.As(err, &syn):
		field := fieldPath(syn.JSONPointer)
		// jsontext exports a sentinel only for duplicate names; the others
		// are told by their message, pinned with the module's version
		// (TestBadInput's invalid UTF-8, surrogate and trailing-data cases
		// fail if an upgrade changes them).
		var why string
		switch {
		case errors.Is(syn.Err, jsontext.ErrDuplicateName):
			why = "appears more than once"
		case strings.Contains(syn.Err.Error(), "UTF-8"):
			why = "is not valid UTF-8"
		case strings.Contains(syn.Err.Error(), "in string") && field != "":
			// An unpaired surrogate (\ud800), a bad escape, a raw control byte.
			why = "is not a valid JSON string (" + syn.Err.Error() + ")"
		case strings.Contains(syn.Err.Error(), "after top-level value"):
			return invalidJSON("body must hold a single JSON object and nothing after it")
		default:
			return invalidJSON(fmt.Sprintf("malformed JSON at byte %d", syn.ByteOffset))
		}
		if field == "" {
			return invalidJSON("request body " + why)
		}
		return fieldError(field, why)
	case errors.As(err, &sem):
		field := fieldPath(sem.JSONPointer)
		if errors.Is(sem.Err, jsonv2.ErrUnknownName) {
			return fieldError(field, "is not a known field")
		}
		want := jsonType(sem.GoType)
		if field == "" {
			return invalidJSON("body must be " + want + ", not " + jsonKind(sem.JSONKind))
		}
		return fieldError(field, "must be "+want)
	default:
		return invalidJSON("malformed JSON")
	}
}

// fieldError is invalid_json naming one member.
func fieldError(field, why string) *apiError {
	e := invalidJSON(fmt.Sprintf("field %q %s", field, why))
	e.fields = map[string]string{field: why}
	return e
}

// fieldPath turns a JSON Pointer (/items/0/quantity) into the path the
// validation errors use (items[0].quantity).
func fieldPath(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if _, err := strconv.Atoi(tok); err == nil && b.Len() > 0 {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

// jsonType names the JSON type a Go type decodes from.
func jsonType(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	default:
		return "an object"
	}
}

// jsonKind names the kind of a JSON value.
func jsonKind(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 'f', 't':
		return "a boolean"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '[':
		return "an array"
	case '{':
		return "an object"
	default:
		return "something else"
	}
}

func invalidJSON(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "invalid_json", message: msg}
}
