package order

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const pid = "0123456789abcdef01234567"

func validPlaceOrder() PlaceOrder {
	return PlaceOrder{
		Customer: Customer{Name: "Ada Lovelace", Email: "ada@example.com"},
		Lines:    []OrderLine{{ProductID: pid, Quantity: 2}},
	}
}

func fieldsOf(err error) []string {
	var ve *ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	var out []string
	for k := range ve.Fields {
		out = append(out, k)
	}
	return out
}

func TestPlaceOrderValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*PlaceOrder)
		want   []string
	}{
		{"valid", func(*PlaceOrder) {}, nil},
		{"valid with key", func(p *PlaceOrder) { p.IdempotencyKey = "abc-123" }, nil},
		{"blank name", func(p *PlaceOrder) { p.Customer.Name = "   " }, []string{"customer.name"}},
		{"long name", func(p *PlaceOrder) { p.Customer.Name = strings.Repeat("é", 201) }, []string{"customer.name"}},
		{"no email", func(p *PlaceOrder) { p.Customer.Email = "" }, []string{"customer.email"}},
		{"display-name email", func(p *PlaceOrder) { p.Customer.Email = "Ada <ada@example.com>" }, []string{"customer.email"}},
		{"email without dot", func(p *PlaceOrder) { p.Customer.Email = "ada@localhost" }, []string{"customer.email"}},
		{"email too long", func(p *PlaceOrder) { p.Customer.Email = strings.Repeat("a", 250) + "@ex.com" }, []string{"customer.email"}},
		{"no lines", func(p *PlaceOrder) { p.Lines = nil }, []string{"items"}},
		{"51 lines", func(p *PlaceOrder) {
			p.Lines = nil
			for i := range 51 {
				p.Lines = append(p.Lines, OrderLine{ProductID: fmt.Sprintf("%024x", i), Quantity: 1})
			}
		}, []string{"items"}},
		{"bad id", func(p *PlaceOrder) { p.Lines[0].ProductID = "XYZ" }, []string{"items[0].productId"}},
		{"upper-case id", func(p *PlaceOrder) { p.Lines[0].ProductID = strings.ToUpper(pid) }, []string{"items[0].productId"}},
		{"zero quantity", func(p *PlaceOrder) { p.Lines[0].Quantity = 0 }, []string{"items[0].quantity"}},
		{"negative quantity", func(p *PlaceOrder) { p.Lines[0].Quantity = -1 }, []string{"items[0].quantity"}},
		{"quantity over max", func(p *PlaceOrder) { p.Lines[0].Quantity = MaxQuantity + 1 }, []string{"items[0].quantity"}},
		{"duplicate product", func(p *PlaceOrder) { p.Lines = append(p.Lines, OrderLine{ProductID: pid, Quantity: 1}) }, []string{"items[1].productId"}},
		{"key with space", func(p *PlaceOrder) { p.IdempotencyKey = "a b" }, []string{"Idempotency-Key"}},
		{"key too long", func(p *PlaceOrder) { p.IdempotencyKey = strings.Repeat("k", 129) }, []string{"Idempotency-Key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validPlaceOrder()
			tt.modify(&p)
			err := p.Validate()
			if diff := cmp.Diff(tt.want, fieldsOf(err)); diff != "" {
				t.Errorf("Validate() = %v; fields (-want +got):\n%s", err, diff)
			}
			if tt.want == nil && err != nil {
				t.Errorf("Validate() = %v, want nil", err)
			}
		})
	}
}

func TestProductValidate(t *testing.T) {
	valid := Product{SKU: "MUG-1", Name: "Mug", PriceCents: 1200, Currency: "EUR", Stock: 3}
	tests := []struct {
		name   string
		modify func(*Product)
		want   []string
	}{
		{"valid", func(*Product) {}, nil},
		{"free and out of stock", func(p *Product) { p.PriceCents, p.Stock = 0, 0 }, nil},
		{"no sku", func(p *Product) { p.SKU = "" }, []string{"sku"}},
		{"sku starts with dash", func(p *Product) { p.SKU = "-x" }, []string{"sku"}},
		{"sku too long", func(p *Product) { p.SKU = strings.Repeat("A", 65) }, []string{"sku"}},
		{"no name", func(p *Product) { p.Name = "" }, []string{"name"}},
		{"long description", func(p *Product) { p.Description = strings.Repeat("d", 2001) }, []string{"description"}},
		{"negative price", func(p *Product) { p.PriceCents = -1 }, []string{"priceCents"}},
		{"price too high", func(p *Product) { p.PriceCents = MaxPriceCents + 1 }, []string{"priceCents"}},
		{"currency lower", func(p *Product) { p.Currency = "eur" }, []string{"currency"}},
		{"negative stock", func(p *Product) { p.Stock = -1 }, []string{"stock"}},
		{"stock too high", func(p *Product) { p.Stock = MaxStock + 1 }, []string{"stock"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := valid
			tt.modify(&p)
			if diff := cmp.Diff(tt.want, fieldsOf(p.Validate())); diff != "" {
				t.Errorf("Validate() fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProductPatchValidate(t *testing.T) {
	name, blank := "New", " "
	neg := int64(-1)
	if err := (ProductPatch{}).Validate(); cmp.Diff([]string{"body"}, fieldsOf(err)) != "" {
		t.Errorf("empty patch: Validate() = %v, want body", err)
	}
	if err := (ProductPatch{Name: &name}).Validate(); err != nil {
		t.Errorf("name patch: Validate() = %v, want nil", err)
	}
	err := (ProductPatch{Name: &blank, Stock: &neg, PriceCents: &neg}).Validate()
	got := fieldsOf(err)
	if len(got) != 3 {
		t.Errorf("bad patch fields = %v, want name, stock, priceCents", got)
	}
}

func TestTransitions(t *testing.T) {
	allowed := map[[2]Status]bool{
		{StatusPending, StatusPaid}: true, {StatusPending, StatusCancelled}: true,
		{StatusPaid, StatusShipped}: true, {StatusPaid, StatusCancelled}: true,
		{StatusShipped, StatusDelivered}: true,
	}
	all := append([]Status{StatusReserving}, PublicStatuses...)
	for _, from := range all {
		for _, to := range all {
			if got, want := CanTransition(from, to), allowed[[2]Status{from, to}]; got != want {
				t.Errorf("CanTransition(%s, %s) = %v, want %v", from, to, got, want)
			}
		}
	}
	if _, ok := ParseStatus("reserving"); ok {
		t.Error("ParseStatus(reserving) = ok, want it hidden from clients")
	}
	if s, ok := ParseStatus("paid"); !ok || s != StatusPaid {
		t.Errorf("ParseStatus(paid) = %q, %v", s, ok)
	}
}

func TestHash(t *testing.T) {
	a := validPlaceOrder()
	b := validPlaceOrder()
	b.IdempotencyKey = "other-key"
	if a.Hash() != b.Hash() {
		t.Error("Hash differs when only the key differs; want the same (it identifies the content)")
	}
	for name, modify := range map[string]func(*PlaceOrder){
		"quantity": func(p *PlaceOrder) { p.Lines[0].Quantity++ },
		"email":    func(p *PlaceOrder) { p.Customer.Email = "bob@example.com" },
		"name":     func(p *PlaceOrder) { p.Customer.Name = "Ada" },
		"line":     func(p *PlaceOrder) { p.Lines = append(p.Lines, OrderLine{ProductID: pid[:23] + "8", Quantity: 1}) },
	} {
		c := validPlaceOrder()
		modify(&c)
		if c.Hash() == a.Hash() {
			t.Errorf("Hash unchanged after changing %s", name)
		}
	}
	// Fields cannot bleed into each other.
	x := PlaceOrder{Customer: Customer{Name: "a\x00", Email: "b"}}
	y := PlaceOrder{Customer: Customer{Name: "a", Email: "\x00b"}}
	if x.Hash() == y.Hash() {
		t.Error("Hash is ambiguous across the name/email boundary")
	}
}

// Orders store their request's hash and replays compare it, so the hash of
// a request must stay what earlier versions computed (with fmt).
func TestHashKeepsItsFormat(t *testing.T) {
	earlier := func(p PlaceOrder) string {
		h := sha256.New()
		fmt.Fprintf(h, "%q\x00%q\x00", p.Customer.Name, p.Customer.Email)
		for _, l := range p.Lines {
			fmt.Fprintf(h, "%s:%d\x00", l.ProductID, l.Quantity)
		}
		return hex.EncodeToString(h.Sum(nil))
	}
	rng := rand.New(rand.NewPCG(5, 6))
	str := func() string {
		b := make([]byte, rng.IntN(300)) // past the stack buffer too
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return string(b)
	}
	for range 500 {
		p := PlaceOrder{Customer: Customer{Name: str(), Email: str()}}
		for range rng.IntN(6) {
			p.Lines = append(p.Lines, OrderLine{ProductID: str(), Quantity: rng.Int64() - rng.Int64()})
		}
		if got, want := p.Hash(), earlier(p); got != want {
			t.Fatalf("Hash(%+v) = %s, earlier versions stored %s", p, got, want)
		}
	}
}

func TestIDs(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a, b := NewID(t0), NewID(t0.Add(time.Second))
	if !ValidID(a) || !ValidID(b) {
		t.Fatalf("NewID gave %q, %q: want valid ids", a, b)
	}
	if a >= b {
		t.Errorf("NewID(t) = %q >= NewID(t+1s) = %q; want ids to sort by time", a, b)
	}
	if NewID(t0) == a {
		t.Error("two ids in the same second are equal")
	}
	for _, bad := range []string{"", "0123", strings.Repeat("g", 24), strings.ToUpper(a), a + "0"} {
		if ValidID(bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
}

func TestErrors(t *testing.T) {
	se := &StockError{ProductID: pid, Requested: 3, Available: 1}
	if !errors.Is(fmt.Errorf("wrap: %w", se), ErrInsufficientStock) {
		t.Error("a wrapped *StockError is not ErrInsufficientStock")
	}
	if NewValidationError(nil) != nil {
		t.Error("NewValidationError(nil) != nil")
	}
	err := NewValidationError(map[string]string{"b": "bad", "a": "worse"})
	if got, want := err.Error(), "invalid input: a: worse; b: bad"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestIDTime(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 5, 0, time.UTC)
	if got, ok := IDTime(NewID(now.Add(700 * time.Millisecond))); !ok || !got.Equal(now) {
		t.Errorf("IDTime(NewID(%v)) = %v, %v; want %v", now, got, ok, now)
	}
	if _, ok := IDTime("not-an-id"); ok {
		t.Error("IDTime(not-an-id) ok, want not")
	}
}

// TestEmailFastPath: validateEmail answers as it did when every address went
// through net/mail (the reference below), on addresses near the edge of
// what net/mail accepts: quoted and dotted local parts, specials, spaces,
// comments, angle brackets, UTF-8, bad domains.
func TestEmailFastPath(t *testing.T) {
	reference := func(s string) string {
		if s == "" {
			return "is required"
		}
		if len(s) > MaxEmailLen || checkText(s) != "" {
			return "must be a valid email address"
		}
		a, err := mail.ParseAddress(s)
		domain := s[strings.LastIndexByte(s, '@')+1:]
		if err != nil || a.Address != s || !strings.Contains(domain, ".") || strings.HasSuffix(domain, ".") || !ValidHostName(domain) {
			return "must be a valid email address like name@example.com"
		}
		return ""
	}
	pieces := []string{"a", "Z", "9", ".", "..", "-", "_", "+", "!", "#", "$", "%", "&", "'", "*", "/", "=", "?", "^", "`", "{", "|", "}", "~",
		`"`, `\`, " ", "(", ")", "<", ">", "[", "]", ",", ";", ":", "@", "é", "\t"}
	labels := []string{"example", "com", "a", "x-y", "-x", "x-", "9", "", "é", "b_c", "[1.2.3.4]"}
	rng := rand.New(rand.NewPCG(1, 2))
	var accepted, fast, cases int
	check := func(s string) {
		cases++
		got := validateEmail(s)
		if want := reference(s); got != want {
			t.Errorf("validateEmail(%q) = %q, net/mail says %q", s, got, want)
		}
		if at := strings.LastIndexByte(s, '@'); at > 0 && dotAtom(s[:at]) {
			fast++
		}
		if got == "" {
			accepted++
		}
	}
	for _, s := range []string{"ada@example.com", "a.b@example.com", ".a@example.com", "a.@example.com", "a..b@example.com",
		`"a b"@example.com`, `"a"@example.com`, "a@b@example.com", "@example.com", "a@", "a@example", "a@example.com.",
		"Ada <ada@example.com>", "ada@example.com (Ada)", " ada@example.com", "ada@example.com ", "é@example.com",
		"o'hara@example.com", "a+tag@example.com", "{x}@example.com"} {
		check(s)
	}
	for range 100_000 {
		var b strings.Builder
		for range 1 + rng.IntN(4) {
			if rng.IntN(4) == 0 { // anything
				b.WriteString(pieces[rng.IntN(len(pieces))])
			} else { // atext and dots: what the fast path takes
				b.WriteString(pieces[rng.IntN(24)])
			}
			if rng.IntN(2) == 0 {
				b.WriteString("ab")
			}
		}
		b.WriteString("@")
		for i := range 1 + rng.IntN(3) {
			if i > 0 {
				b.WriteString(".")
			}
			b.WriteString(labels[rng.IntN(len(labels))*rng.IntN(2)]) // "example" half the time
		}
		check(b.String())
	}
	// Not vacuous: both answers, and both paths, are taken often.
	if accepted < cases/20 || cases-accepted < cases/20 || fast < cases/20 {
		t.Errorf("%d cases: %d accepted, %d on the fast path; the generator no longer reaches both sides", cases, accepted, fast)
	}
	t.Logf("%d cases: %d accepted, %d on the fast path", cases, accepted, fast)
}
