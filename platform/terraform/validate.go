package terraform

import (
	"fmt"
	"net/netip"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// validationFunctions are the Terraform functions the variable validations of infra/ use, from
// cty's stdlib and HCL's tryfunc; cidrhost and alltrue are small equivalents.
func validationFunctions() map[string]function.Function {
	return map[string]function.Function{
		"alltrue":  allTrueFunc,
		"can":      tryfunc.CanFunc,
		"cidrhost": cidrHostFunc,
		"contains": stdlib.ContainsFunc,
		"distinct": stdlib.DistinctFunc,
		"length":   stdlib.LengthFunc,
		"regex":    stdlib.RegexFunc,
		"split":    stdlib.SplitFunc,
		"tonumber": stdlib.MakeToFunc(cty.Number),
		"try":      tryfunc.TryFunc,
		"values":   stdlib.ValuesFunc,
	}
}

var allTrueFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "list", Type: cty.List(cty.Bool)}},
	Type:   function.StaticReturnType(cty.Bool),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		for it := args[0].ElementIterator(); it.Next(); {
			_, v := it.Element()
			if v.IsNull() || !v.True() {
				return cty.False, nil
			}
		}
		return cty.True, nil
	},
})

// cidrHostFunc fails on an invalid prefix, which is all the validations need from cidrhost.
var cidrHostFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "prefix", Type: cty.String}, {Name: "hostnum", Type: cty.Number}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, err := netip.ParsePrefix(args[0].AsString())
		if err != nil {
			return cty.NilVal, err
		}
		return cty.StringVal(p.Masked().Addr().String()), nil
	},
})

// CheckValidations evaluates every validation block of a root's variables with the given values
// (tfvars over defaults), the way terraform plan would, and reports failing or unevaluable ones.
func CheckValidations(files []File, dir string, values map[string]cty.Value) []string {
	vars := map[string]cty.Value{}
	blocks := Blocks(InDir(files, dir), "variable", "")
	for _, v := range blocks {
		name := v.Labels[0]
		if val, ok := values[name]; ok {
			vars[name] = val
		} else if d, ok := Literal(v.Body, "default"); ok {
			vars[name] = d
		} else {
			vars[name] = cty.NullVal(cty.DynamicPseudoType)
		}
	}
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(vars)},
		Functions: validationFunctions(),
	}
	var out []string
	for _, v := range blocks {
		for _, val := range Child(v.Block, "validation") {
			cond, ok := val.Body.Attributes["condition"]
			if !ok {
				continue
			}
			res, diags := cond.Expr.Value(ctx)
			switch {
			case diags.HasErrors():
				out = append(out, fmt.Sprintf("%s variable %q: validation cannot be evaluated: %s", v.Where(), v.Labels[0], diags.Error()))
			case res.IsNull() || !res.IsKnown() || !res.Type().Equals(cty.Bool):
				out = append(out, fmt.Sprintf("%s variable %q: validation is not a bool", v.Where(), v.Labels[0]))
			case res.False():
				msg, _ := LiteralString(val.Body, "error_message")
				out = append(out, fmt.Sprintf("%s variable %q = %s fails its validation: %s", v.Where(), v.Labels[0], showValue(vars[v.Labels[0]]), msg))
			}
		}
	}
	sort.Strings(out)
	return out
}

func showValue(v cty.Value) string {
	if v.IsNull() {
		return "null"
	}
	if v.Type().Equals(cty.String) {
		return fmt.Sprintf("%q", v.AsString())
	}
	return v.GoString()
}
