package order

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"
)

// Status is where an order is in its lifecycle.
type Status string

// The lifecycle: pending → paid → shipped → delivered; cancelled from
// pending or paid. StatusReserving is internal: the order document exists
// while its stock is being reserved and is never shown to clients.
const (
	StatusReserving Status = "reserving"
	StatusPending   Status = "pending"
	StatusPaid      Status = "paid"
	StatusShipped   Status = "shipped"
	StatusDelivered Status = "delivered"
	StatusCancelled Status = "cancelled"
)

// PublicStatuses are the statuses clients see, in lifecycle order.
var PublicStatuses = []Status{StatusPending, StatusPaid, StatusShipped, StatusDelivered, StatusCancelled}

var transitions = map[Status][]Status{
	StatusPending: {StatusPaid, StatusCancelled},
	StatusPaid:    {StatusShipped, StatusCancelled},
	StatusShipped: {StatusDelivered},
}

// ParseStatus returns the public status named s.
func ParseStatus(s string) (Status, bool) {
	for _, st := range PublicStatuses {
		if string(st) == s {
			return st, true
		}
	}
	return "", false
}

// CanTransition reports whether an order may go from one status to another.
func CanTransition(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Customer is who placed the order.
type Customer struct {
	Name  string
	Email string
}

// LineItem is one product in an order, priced when the order was placed.
type LineItem struct {
	ProductID      string
	SKU            string
	Name           string
	Quantity       int64
	UnitPriceCents int64
	LineTotalCents int64
}

// Order is a customer's order.
type Order struct {
	ID         string
	Customer   Customer
	Items      []LineItem
	TotalCents int64
	Currency   string
	Status     Status
	// StockReleased is true once a cancelled order has put its stock back.
	StockReleased bool
	// IdempotencyKey and RequestHash identify the request that created the
	// order, so a retry returns it instead of placing another. Both are
	// empty for an order placed without a key: nothing can replay it.
	IdempotencyKey string
	RequestHash    string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Limits on orders.
const (
	MaxLines          = 50
	MaxQuantity       = 10_000
	MaxEmailLen       = 254
	MaxIdempotencyLen = 128
)

// PlaceOrder is a request to place an order.
type PlaceOrder struct {
	Customer Customer
	Lines    []OrderLine
	// IdempotencyKey is optional.
	IdempotencyKey string
}

// OrderLine asks for Quantity units of a product.
type OrderLine struct {
	ProductID string
	Quantity  int64
}

// Validate checks the request. It returns a *ValidationError or nil.
func (p PlaceOrder) Validate() error {
	f := map[string]string{}
	validateName(f, "customer.name", p.Customer.Name)
	if msg := validateEmail(p.Customer.Email); msg != "" {
		f["customer.email"] = msg
	}
	if p.IdempotencyKey != "" {
		if msg := ValidateIdempotencyKey(p.IdempotencyKey); msg != "" {
			f["Idempotency-Key"] = msg
		}
	}
	switch {
	case len(p.Lines) == 0:
		f["items"] = "must contain at least one item"
	case len(p.Lines) > MaxLines:
		f["items"] = fmt.Sprintf("must contain at most %d items", MaxLines)
	}
	seen := map[string]bool{}
	for i, l := range p.Lines {
		prefix := "items[" + strconv.Itoa(i) + "]."
		switch {
		case !ValidID(l.ProductID):
			f[prefix+"productId"] = "must be a 24-character hex id"
		case seen[l.ProductID]:
			f[prefix+"productId"] = "appears more than once; combine the quantities"
		}
		seen[l.ProductID] = true
		if l.Quantity < 1 || l.Quantity > MaxQuantity {
			f[prefix+"quantity"] = fmt.Sprintf("must be between 1 and %d", MaxQuantity)
		}
	}
	return NewValidationError(f)
}

// ValidateIdempotencyKey returns why key is not a usable idempotency key,
// or "" if it is.
func ValidateIdempotencyKey(key string) string {
	if key == "" || len(key) > MaxIdempotencyLen {
		return "must be 1 to 128 characters"
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; c < 0x21 || c > 0x7e {
			return "must contain only visible ASCII characters"
		}
	}
	return ""
}

func validateEmail(s string) string {
	if s == "" {
		return "is required"
	}
	if len(s) > MaxEmailLen || checkText(s) != "" {
		return "must be a valid email address"
	}
	// net/mail takes any atom as the domain (a@b.c'-- would pass): it must
	// be a host name of two labels or more, not fully qualified.
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	if !strings.Contains(domain, ".") || strings.HasSuffix(domain, ".") || !ValidHostName(domain) {
		return "must be a valid email address like name@example.com"
	}
	if at > 0 && dotAtom(s[:at]) {
		return "" // what net/mail accepts and returns unchanged, without its ten allocations
	}
	if a, err := mail.ParseAddress(s); err != nil || a.Address != s {
		return "must be a valid email address like name@example.com"
	}
	return ""
}

// dotAtom reports whether s is an RFC 5322 dot-atom of ASCII atext (letters,
// digits and !#$%&'*+-/=?^_`{|}~, dots between them): a local part that
// net/mail parses unquoted and returns as it is. Anything else (quoted
// local parts, UTF-8) is left to net/mail; TestEmailFastPath checks that
// the two agree.
func dotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(".!#$%&'*+-/=?^_`{|}~", c) >= 0) {
			return false
		}
	}
	return true
}

// ValidHostName reports whether s is a DNS host name (RFC 1123): labels of
// 1-63 letters, digits and hyphens, not starting or ending with a hyphen,
// 253 characters at most; one trailing dot (fully qualified) is allowed.
func ValidHostName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// StatusChoices is the message for a status that is not a public one.
func StatusChoices() string {
	names := make([]string, len(PublicStatuses))
	for i, s := range PublicStatuses {
		names[i] = string(s)
	}
	return "must be one of " + strings.Join(names, ", ")
}

// Hash identifies the content of the request (not its key), so that a
// retry can be told from a different request that reuses the key. It is
// stored with a keyed order, so its bytes never change: SHA-256 of each name
// and email Go-quoted and NUL-terminated, then "<product id>:<quantity>"
// NUL-terminated per line (the fmt "%q" / "%s:%d" form of earlier
// versions, appended without fmt: TestHashKeepsItsFormat).
func (p PlaceOrder) Hash() string {
	var stack [256]byte
	b := strconv.AppendQuote(stack[:0], p.Customer.Name)
	b = append(b, 0)
	b = strconv.AppendQuote(b, p.Customer.Email)
	b = append(b, 0)
	for _, l := range p.Lines {
		b = append(b, l.ProductID...)
		b = append(b, ':')
		b = strconv.AppendInt(b, l.Quantity, 10)
		b = append(b, 0)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// A Marker records one stock change on a product document, in the same
// atomic update that makes the change (see Store.ApplyStock). It names the
// order and carries the quantity, so that Recover can undo a reservation
// whose order is gone ("orphan") without any other record.
type Marker struct {
	// Release is true for a cancellation's release ("c:"), false for a
	// reservation ("r:").
	Release  bool
	OrderID  string
	Quantity int64
}

// ReservationMarker is the marker a product carries while qty units
// reserved for orderID are not yet recorded on the order as placed.
func ReservationMarker(orderID string, qty int64) string {
	return Marker{OrderID: orderID, Quantity: qty}.String()
}

// ReleaseMarker is the marker a product carries while qty units released
// by the cancellation of orderID are not yet recorded on the order.
func ReleaseMarker(orderID string, qty int64) string {
	return Marker{Release: true, OrderID: orderID, Quantity: qty}.String()
}

// String is the marker as stored: "r:<order id>:<quantity>" or
// "c:<order id>:<quantity>".
func (m Marker) String() string {
	kind := "r:"
	if m.Release {
		kind = "c:"
	}
	return kind + m.OrderID + ":" + strconv.FormatInt(m.Quantity, 10)
}

// Delta is the stock change the marker records: minus the quantity for a
// reservation, plus it for a release.
func (m Marker) Delta() int64 {
	if m.Release {
		return m.Quantity
	}
	return -m.Quantity
}

// ParseMarker reads a stored marker. ok is false for anything else,
// including the quantity-less "r:<order id>" markers of earlier versions.
func ParseMarker(s string) (m Marker, ok bool) {
	kind, rest, found := strings.Cut(s, ":")
	if !found || (kind != "r" && kind != "c") {
		return Marker{}, false
	}
	id, qty, found := strings.Cut(rest, ":")
	q, err := strconv.ParseInt(qty, 10, 64)
	if !found || err != nil || q < 1 || !ValidID(id) {
		return Marker{}, false
	}
	return Marker{Release: kind == "c", OrderID: id, Quantity: q}, true
}
