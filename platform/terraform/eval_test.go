package terraform

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func TestEvalLocal(t *testing.T) {
	src := `
locals {
  base   = { a = var.x, list = concat(["one"], var.on ? ["two"] : []) }
  merged = merge(local.base, { b = upper(var.y) })
  bad    = aws_sns_topic.this.arn
  loop   = local.loop
  fn     = jsonencode(var.x)
}
`
	f, err := Parse("modules/m/locals.tf", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	files := []File{f}
	vars := map[string]cty.Value{"x": cty.StringVal("ex"), "y": cty.StringVal("why"), "on": cty.True}
	got, err := EvalLocal(files, "modules/m", "merged", vars)
	if err != nil {
		t.Fatal(err)
	}
	want := cty.ObjectVal(map[string]cty.Value{
		"a":    cty.StringVal("ex"),
		"list": cty.TupleVal([]cty.Value{cty.StringVal("one"), cty.StringVal("two")}),
		"b":    cty.StringVal("WHY"),
	})
	if !got.RawEquals(want) {
		t.Errorf("EvalLocal(merged) = %#v, want %#v", got, want)
	}
	for name, wantErr := range map[string]string{
		"bad":     "cannot be evaluated offline",
		"loop":    "refers to itself",
		"fn":      "jsonencode",
		"missing": "no local.missing",
	} {
		if _, err := EvalLocal(files, "modules/m", name, vars); err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("EvalLocal(%s) error = %v, want one with %q", name, err, wantErr)
		}
	}
	if _, err := EvalLocal(files, "modules/m", "merged", map[string]cty.Value{"x": cty.StringVal("ex"), "on": cty.False}); err == nil || !strings.Contains(err.Error(), "var.y") {
		t.Errorf("EvalLocal without var.y: error = %v, want one naming var.y", err)
	}
}

func TestCidrSubnet(t *testing.T) {
	for _, c := range []struct {
		prefix          string
		newbits, netnum int64
		want            string
	}{
		{"10.10.0.0/16", 4, 0, "10.10.0.0/20"},
		{"10.10.0.0/16", 4, 2, "10.10.32.0/20"},
		{"10.20.0.0/16", 2, 3, "10.20.192.0/18"},
		{"10.20.5.0/16", 8, 255, "10.20.255.0/24"},
	} {
		v, err := cidrSubnetFunc.Call([]cty.Value{cty.StringVal(c.prefix), cty.NumberIntVal(c.newbits), cty.NumberIntVal(c.netnum)})
		if err != nil || v.AsString() != c.want {
			t.Errorf("cidrsubnet(%s, %d, %d) = %v, %v; want %s", c.prefix, c.newbits, c.netnum, v, err, c.want)
		}
	}
	for _, bad := range [][]cty.Value{
		{cty.StringVal("10.0.0.0/30"), cty.NumberIntVal(4), cty.NumberIntVal(0)},
		{cty.StringVal("10.0.0.0/16"), cty.NumberIntVal(2), cty.NumberIntVal(4)},
		{cty.StringVal("fd00::/8"), cty.NumberIntVal(8), cty.NumberIntVal(0)},
	} {
		if v, err := cidrSubnetFunc.Call(bad); err == nil {
			t.Errorf("cidrsubnet(%v) = %v, want an error", bad, v)
		}
	}
}
