package order

import (
	"strings"
	"testing"
)

func TestValidHostName(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"example.com", true},
		{"db-0.db.mongodb.svc.cluster.local", true},
		{"localhost", true},
		{"example.com.", true},
		{"xn--bcher-kva.example", true},
		{strings.Repeat("a", 63) + ".example", true},
		{strings.Repeat("a", 64) + ".example", false},
		{strings.Repeat("a.", 127) + "a", false}, // 255 characters
		{"", false},
		{".", false},
		{"b.c'--", false},
		{"bad host", false},
		{"-a.example", false},
		{"a-.example", false},
		{"a..example", false},
		{"a_b.example", false},
		{"ex\u00e4mple.com", false},
		{"a.example\x00", false},
	} {
		if got := ValidHostName(tt.in); got != tt.want {
			t.Errorf("ValidHostName(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
