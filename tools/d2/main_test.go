package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"oss.terrastruct.com/d2/lib/textmeasure"
)

func TestStamp(t *testing.T) {
	src := []byte("a -> b\n")
	sum := sha256.Sum256(src)
	want := SourceHashPrefix + hex.EncodeToString(sum[:])
	for _, svg := range []string{`<?xml version="1.0" encoding="utf-8"?>` + "\n<svg></svg>", "<svg></svg>"} {
		got := string(stamp([]byte(svg), src))
		if !strings.Contains(got, want) {
			t.Errorf("stamp(%q) = %q, want it to contain %q", svg, got, want)
		}
		if strings.HasPrefix(svg, "<?xml") && !strings.HasPrefix(got, "<?xml") {
			t.Errorf("stamp(%q) = %q: the XML declaration must stay first", svg, got)
		}
		if !strings.HasSuffix(got, "<svg></svg>") {
			t.Errorf("stamp(%q) = %q: the SVG body must follow unchanged", svg, got)
		}
	}
}

func TestRenderDeterministic(t *testing.T) {
	ruler, err := textmeasure.NewRuler()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for name, src := range map[string]string{
		"dagre.d2": "client -> api: POST\napi -> db: insert {style.stroke-dash: 3}\n",
		"elk.d2":   "vars: {d2-config: {layout-engine: elk}}\nc: cluster {a; b}\nc.a -> c.b\n",
	} {
		first, err := Render(ctx, ruler, name, []byte(src))
		if err != nil {
			t.Fatalf("Render(%s): %v", name, err)
		}
		second, err := Render(ctx, ruler, name, []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, second) {
			t.Errorf("Render(%s) differs between two runs: the committed SVGs would churn", name)
		}
		if !bytes.Contains(first, []byte("<svg")) || !bytes.Contains(first, []byte(SourceHashPrefix)) {
			t.Errorf("Render(%s) is not a stamped SVG: %.200s", name, first)
		}
	}
	if _, err := Render(ctx, ruler, "bad.d2", []byte("vars: {d2-config: {layout-engine: tala}}\na -> b\n")); err == nil {
		t.Error("Render with layout engine tala: no error, want one (only dagre and elk are built in)")
	}
	if _, err := Render(ctx, ruler, "syntax.d2", []byte("a -> {\n")); err == nil {
		t.Error("Render of a syntax error: no error")
	}
}

// TestCommittedDiagrams re-renders docs/diagrams into a temporary folder
// and compares with the committed SVGs byte for byte: the hash stamp says
// the source did not change, this says the renderer did not either.
func TestCommittedDiagrams(t *testing.T) {
	srcs, _ := filepath.Glob(filepath.Join("..", "..", "docs", "diagrams", "*.d2"))
	if len(srcs) == 0 {
		t.Skip("no docs/diagrams/*.d2")
	}
	ruler, err := textmeasure.NewRuler()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range srcs {
		src, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Render(context.Background(), ruler, s, src)
		if err != nil {
			t.Fatalf("Render(%s): %v", s, err)
		}
		want, err := os.ReadFile(strings.TrimSuffix(s, ".d2") + ".svg")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: committed SVG differs from a fresh render; run `make docs`", s)
		}
	}
}

// TestVersionMatchesGoMod: the version stamped into every SVG is the one
// go.mod pins.
func TestVersionMatchesGoMod(t *testing.T) {
	mod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if want := "oss.terrastruct.com/d2 " + d2Version + "\n"; !strings.Contains(string(mod), want) && !strings.Contains(string(mod), strings.TrimSpace(want)+" //") {
		t.Errorf("go.mod does not require %q: update d2Version in main.go", strings.TrimSpace(want))
	}
}
