package order

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Product is an item for sale. Prices are integer minor units (cents).
type Product struct {
	ID          string
	SKU         string
	Name        string
	Description string
	PriceCents  int64
	Currency    string
	Stock       int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Limits on product fields.
const (
	MaxSKULen         = 64
	MaxNameLen        = 200
	MaxDescriptionLen = 2000
	MaxPriceCents     = 100_000_000_00 // 100 million in major units
	MaxStock          = 1_000_000_000
)

var (
	skuPattern      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)
)

// ProductPatch is a partial update: nil fields are left alone.
type ProductPatch struct {
	Name        *string
	Description *string
	PriceCents  *int64
	Stock       *int64
}

// Empty reports whether the patch changes nothing.
func (p ProductPatch) Empty() bool {
	return p.Name == nil && p.Description == nil && p.PriceCents == nil && p.Stock == nil
}

// Validate checks a new product. It returns a *ValidationError or nil.
func (p Product) Validate() error {
	f := map[string]string{}
	switch {
	case p.SKU == "":
		f["sku"] = "is required"
	case len(p.SKU) > MaxSKULen:
		f["sku"] = fmt.Sprintf("must be at most %d characters", MaxSKULen)
	case !skuPattern.MatchString(p.SKU):
		f["sku"] = "may contain only letters, digits, '.', '_' and '-', starting with a letter or digit"
	}
	validateName(f, "name", p.Name)
	validateDescription(f, "description", p.Description)
	validatePrice(f, "priceCents", p.PriceCents)
	if !currencyPattern.MatchString(p.Currency) {
		f["currency"] = "must be a three-letter ISO 4217 code in upper case, e.g. EUR"
	}
	validateStock(f, "stock", p.Stock)
	return NewValidationError(f)
}

// Validate checks a patch. It returns a *ValidationError or nil.
func (p ProductPatch) Validate() error {
	f := map[string]string{}
	if p.Empty() {
		f["body"] = "must change at least one of name, description, priceCents, stock"
	}
	if p.Name != nil {
		validateName(f, "name", *p.Name)
	}
	if p.Description != nil {
		validateDescription(f, "description", *p.Description)
	}
	if p.PriceCents != nil {
		validatePrice(f, "priceCents", *p.PriceCents)
	}
	if p.Stock != nil {
		validateStock(f, "stock", *p.Stock)
	}
	return NewValidationError(f)
}

func validateName(f map[string]string, key, v string) {
	switch {
	case strings.TrimSpace(v) == "":
		f[key] = "is required"
	case utf8.RuneCountInString(v) > MaxNameLen:
		f[key] = fmt.Sprintf("must be at most %d characters", MaxNameLen)
	default:
		if msg := checkText(v); msg != "" {
			f[key] = msg
		}
	}
}

func validateDescription(f map[string]string, key, v string) {
	if utf8.RuneCountInString(v) > MaxDescriptionLen {
		f[key] = fmt.Sprintf("must be at most %d characters", MaxDescriptionLen)
	} else if msg := checkText(v); msg != "" {
		f[key] = msg
	}
}

// checkText returns why free text (names, descriptions) cannot be stored
// and shown as is, or "": it must be valid UTF-8 without control
// characters (C0 and C1, so NUL, CR, LF and tab too: every free-text field
// is one line) and without the bidirectional overrides and isolates
// U+202A-U+202E and U+2066-U+2069, which make text display in another
// order than it is stored (CVE-2021-42574, "Trojan Source").
func checkText(s string) string {
	if !utf8.ValidString(s) {
		return "must be valid UTF-8"
	}
	for _, r := range s {
		switch {
		case unicode.IsControl(r):
			return fmt.Sprintf("must not contain control characters (found U+%04X)", r)
		case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
			return fmt.Sprintf("must not contain bidirectional override characters (found U+%04X)", r)
		}
	}
	return ""
}

func validatePrice(f map[string]string, key string, v int64) {
	if v < 0 || v > MaxPriceCents {
		f[key] = fmt.Sprintf("must be between 0 and %d", int64(MaxPriceCents))
	}
}

func validateStock(f map[string]string, key string, v int64) {
	if v < 0 || v > MaxStock {
		f[key] = fmt.Sprintf("must be between 0 and %d", MaxStock)
	}
}
