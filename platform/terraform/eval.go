package terraform

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// evalFunctions are the Terraform functions EvalLocal knows; they behave as Terraform's, which
// are the same go-cty implementations. An expression calling any other fails to evaluate.
var evalFunctions = map[string]function.Function{
	"cidrsubnet": cidrSubnetFunc,
	"coalesce":   stdlib.CoalesceFunc,
	"concat":     stdlib.ConcatFunc,
	"length":     stdlib.LengthFunc,
	"merge":      stdlib.MergeFunc,
	"upper":      stdlib.UpperFunc,
}

// EvalLocal evaluates local NAME of module directory dir with the given input variables, so that
// a check can see what Terraform will compute (e.g. the Alertmanager configuration it hands to a
// Helm chart) without running Terraform. The local may reference var.*, other locals (evaluated
// the same way) and the functions above; references to resources, data sources or modules are an
// error, as are missing variables (vars must hold each one the expression uses, with Terraform's
// defaults and optional attributes already applied).
func EvalLocal(files []File, dir, name string, vars map[string]cty.Value) (cty.Value, error) {
	e := &evaluator{locals: Locals(InDir(files, dir)), vars: vars, done: map[string]cty.Value{}, busy: map[string]bool{}}
	return e.local(name)
}

type evaluator struct {
	locals map[string]Attr
	vars   map[string]cty.Value
	done   map[string]cty.Value
	busy   map[string]bool
}

func (e *evaluator) local(name string) (cty.Value, error) {
	if v, ok := e.done[name]; ok {
		return v, nil
	}
	a, ok := e.locals[name]
	if !ok {
		return cty.NilVal, fmt.Errorf("no local.%s", name)
	}
	if e.busy[name] {
		return cty.NilVal, fmt.Errorf("local.%s refers to itself", name)
	}
	e.busy[name] = true
	defer delete(e.busy, name)

	locals := map[string]cty.Value{}
	usedVars := map[string]cty.Value{}
	for _, tr := range a.Expr.Variables() {
		root := tr.RootName()
		if len(tr) < 2 {
			return cty.NilVal, fmt.Errorf("local.%s: bare reference %s", name, root)
		}
		step, ok := tr[1].(hcl.TraverseAttr)
		if !ok {
			return cty.NilVal, fmt.Errorf("local.%s: unsupported reference %s", name, root)
		}
		switch root {
		case "local":
			v, err := e.local(step.Name)
			if err != nil {
				return cty.NilVal, err
			}
			locals[step.Name] = v
		case "var":
			v, ok := e.vars[step.Name]
			if !ok {
				return cty.NilVal, fmt.Errorf("local.%s uses var.%s, which was not given", name, step.Name)
			}
			usedVars[step.Name] = v
		default:
			return cty.NilVal, fmt.Errorf("local.%s refers to %s.%s, which cannot be evaluated offline", name, root, step.Name)
		}
	}
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"local": cty.ObjectVal(locals), "var": cty.ObjectVal(usedVars)},
		Functions: evalFunctions,
	}
	v, diags := a.Expr.Value(ctx)
	if diags.HasErrors() {
		return cty.NilVal, fmt.Errorf("local.%s: %s", name, diags.Error())
	}
	e.done[name] = v
	return v, nil
}

// cidrSubnetFunc is Terraform's cidrsubnet(prefix, newbits, netnum) for IPv4: the netnum-th
// subnet of prefix whose mask is newbits longer.
var cidrSubnetFunc = function.New(&function.Spec{
	Params: []function.Parameter{
		{Name: "prefix", Type: cty.String},
		{Name: "newbits", Type: cty.Number},
		{Name: "netnum", Type: cty.Number},
	},
	Type: function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, err := netip.ParsePrefix(args[0].AsString())
		if err != nil || !p.Addr().Is4() {
			return cty.NilVal, fmt.Errorf("cidrsubnet: %q is not an IPv4 CIDR", args[0].AsString())
		}
		newbits, _ := args[1].AsBigFloat().Int64()
		netnum, _ := args[2].AsBigFloat().Int64()
		bits := p.Bits() + int(newbits)
		if newbits < 0 || bits > 32 || netnum < 0 || netnum >= int64(1)<<newbits {
			return cty.NilVal, fmt.Errorf("cidrsubnet(%s, %d, %d): no such subnet", p, newbits, netnum)
		}
		a := p.Masked().Addr().As4()
		base := binary.BigEndian.Uint32(a[:])
		base |= uint32(netnum) << (32 - bits)
		var out [4]byte
		binary.BigEndian.PutUint32(out[:], base)
		return cty.StringVal(netip.PrefixFrom(netip.AddrFrom4(out), bits).String()), nil
	},
})
