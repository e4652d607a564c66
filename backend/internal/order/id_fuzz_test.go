package order

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

// FuzzValidID: ValidID never panics, accepts exactly the 24-digit
// lower-case hex strings, and what it accepts round-trips through the
// 12 bytes it stands for. Seeds: testdata/fuzz/FuzzValidID and below.
func FuzzValidID(f *testing.F) {
	for _, s := range []string{
		NewID(time.Unix(0, 0)), NewID(time.Now()), "0123456789abcdef01234567",
		"0123456789ABCDEF01234567", "0123456789abcdef0123456", "0123456789abcdef012345678",
		"0123456789abcdef0123456g", "", "000000000000000000000000", "ffffffffffffffffffffffff",
		"0123456789abcdef0123456\x00", "０123456789abcdef0123456",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		valid := ValidID(s)
		b, err := hex.DecodeString(s)
		want := err == nil && len(b) == 12 && strings.ToLower(s) == s
		if valid != want {
			t.Fatalf("ValidID(%q) = %v, want %v (hex decode err %v, %d bytes)", s, valid, want, err, len(b))
		}
		if valid && hex.EncodeToString(b) != s {
			t.Fatalf("ValidID(%q) but it does not round-trip: %q", s, hex.EncodeToString(b))
		}
	})
}

// FuzzNewID: every id NewID makes is valid, at any time.
func FuzzNewID(f *testing.F) {
	f.Add(int64(0))
	f.Add(int64(1 << 40))
	f.Add(int64(-1))
	f.Fuzz(func(t *testing.T, sec int64) {
		if id := NewID(time.Unix(sec, 0)); !ValidID(id) {
			t.Fatalf("NewID(%d s) = %q, not a valid id", sec, id)
		}
	})
}

// FuzzValidateIdempotencyKey: never panics; accepts exactly the keys of 1
// to MaxIdempotencyLen visible ASCII characters; rejections say why.
func FuzzValidateIdempotencyKey(f *testing.F) {
	for _, s := range []string{
		"a", "order-2026-01-01-0001", strings.Repeat("k", MaxIdempotencyLen), strings.Repeat("k", MaxIdempotencyLen+1),
		"", " ", "with space", "tab\t", "é", "\x7f", "~!@#$%^&*()_+{}|:<>?", "\x00", "ok\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		msg := ValidateIdempotencyKey(key)
		want := len(key) >= 1 && len(key) <= MaxIdempotencyLen
		for i := 0; i < len(key); i++ {
			if key[i] <= ' ' || key[i] >= 0x7f {
				want = false
			}
		}
		if (msg == "") != want {
			t.Fatalf("ValidateIdempotencyKey(%q) = %q, want valid=%v", key, msg, want)
		}
	})
}
