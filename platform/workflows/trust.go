package workflows

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/rhysd/actionlint"
)

// Which job runs with which AWS role, and under which OIDC subject. GitHub's default subject
// (docs.github.com, "OpenID Connect reference", example subject claims) is
// repo:<owner/name>:environment:<name> for a job that names an environment, whatever the
// event; otherwise repo:<owner/name>:pull_request for pull_request events and
// repo:<owner/name>:ref:<ref> for the others (workflow_run and schedule run on the default
// branch). Each job is examined in concrete scenarios (event and ref), its `if:` evaluated
// with what the scenario fixes (github.event_name, github.ref, ...) and everything else
// unknown, so a job runs in a scenario unless its condition is certainly false there.

// Scenario is one way a workflow run starts.
type Scenario struct {
	Event string // pull_request, push, workflow_run, workflow_dispatch
	Ref   string // refs/heads/main, refs/tags/v1.0.0, refs/pull/1/merge
}

// Run is one job of one scenario, with its matrix values.
type Run struct {
	File     *File
	JobID    string
	Job      *actionlint.Job
	Scenario Scenario
	Matrix   map[string]string
	Env      string   // GitHub environment ("" = none)
	Subject  string   // OIDC subject suffix after repo:<owner/name>:
	RoleVars []string // variables named by role-to-assume
}

// Name is "<file> job <id> [matrix] (<event> <ref>)".
func (r Run) Name() string {
	m := ""
	if len(r.Matrix) > 0 {
		var kv []string
		for k, v := range r.Matrix {
			kv = append(kv, k+"="+v)
		}
		sort.Strings(kv)
		m = " [" + strings.Join(kv, " ") + "]"
	}
	return fmt.Sprintf("%s job %s%s (%s %s)", r.File.Name, r.JobID, m, r.Scenario.Event, r.Scenario.Ref)
}

// scenarios lists the runs a workflow's triggers start.
func scenarios(wf *actionlint.Workflow) ([]Scenario, error) {
	var out []Scenario
	for _, ev := range wf.On {
		switch e := ev.(type) {
		case *actionlint.WebhookEvent:
			switch e.Hook.Value {
			case "pull_request":
				out = append(out, Scenario{"pull_request", "refs/pull/1/merge"})
			case "push":
				if e.Branches != nil {
					for _, b := range e.Branches.Values {
						out = append(out, Scenario{"push", "refs/heads/" + b.Value})
					}
				}
				if e.Tags != nil {
					for _, t := range e.Tags.Values {
						out = append(out, Scenario{"push", "refs/tags/" + strings.ReplaceAll(t.Value, "*", "1.0.0")})
					}
				}
				if e.Branches == nil && e.Tags == nil {
					out = append(out, Scenario{"push", "refs/heads/main"}, Scenario{"push", "refs/heads/feature"})
				}
			case "workflow_run":
				out = append(out, Scenario{"workflow_run", "refs/heads/main"})
			default:
				return nil, fmt.Errorf("trigger %s is not modelled", e.Hook.Value)
			}
		case *actionlint.WorkflowDispatchEvent:
			out = append(out, Scenario{"workflow_dispatch", "refs/heads/main"}, Scenario{"workflow_dispatch", "refs/heads/feature"})
		case *actionlint.ScheduledEvent:
			out = append(out, Scenario{"schedule", "refs/heads/main"})
		default:
			return nil, fmt.Errorf("trigger %s is not modelled", ev.EventName())
		}
	}
	return out, nil
}

// matrixRows expands a job's matrix (rows and include; exclude is not used here).
func matrixRows(job *actionlint.Job) ([]map[string]string, error) {
	if job.Strategy == nil || job.Strategy.Matrix == nil {
		return []map[string]string{nil}, nil
	}
	m := job.Strategy.Matrix
	if m.Expression != nil || m.Exclude != nil {
		return nil, fmt.Errorf("matrix with expression or exclude is not modelled")
	}
	rows := []map[string]string{{}}
	var names []string
	for n := range m.Rows {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		var next []map[string]string
		for _, r := range rows {
			for _, v := range m.Rows[n].Values {
				s, ok := v.(*actionlint.RawYAMLString)
				if !ok {
					return nil, fmt.Errorf("matrix %s: non-scalar value", n)
				}
				c := map[string]string{n: s.Value}
				for k, v := range r {
					c[k] = v
				}
				next = append(next, c)
			}
		}
		rows = next
	}
	if len(m.Rows) == 0 {
		rows = nil
	}
	if m.Include != nil {
		for _, c := range m.Include.Combinations {
			r := map[string]string{}
			for k, a := range c.Assigns {
				s, ok := a.Value.(*actionlint.RawYAMLString)
				if !ok {
					return nil, fmt.Errorf("matrix include %s: non-scalar value", k)
				}
				r[k] = s.Value
			}
			rows = append(rows, r)
		}
	}
	return rows, nil
}

// Runs lists every job of every workflow in every scenario where it may run.
// environments are the GitHub environments a computed environment name can take.
func Runs(files []File, environments []string) ([]Run, error) {
	var out []Run
	for i := range files {
		f := &files[i]
		scs, err := scenarios(f.Workflow)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		ids := make([]string, 0, len(f.Workflow.Jobs))
		for id := range f.Workflow.Jobs {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			job := f.Workflow.Jobs[id]
			if job.WorkflowCall != nil {
				return nil, fmt.Errorf("%s job %s: reusable workflow calls are not modelled", f.Name, id)
			}
			rows, err := matrixRows(job)
			if err != nil {
				return nil, fmt.Errorf("%s job %s: %w", f.Name, id, err)
			}
			for _, sc := range scs {
				for _, row := range rows {
					ctx := exprContext{scenario: sc, matrix: row}
					if job.If != nil && job.If.Value != "" {
						v, err := ctx.evalCondition(job.If.Value)
						if err != nil {
							return nil, fmt.Errorf("%s job %s: if: %w", f.Name, id, err)
						}
						if v.known && !truthy(v) {
							continue
						}
					}
					envs := []string{""}
					if job.Environment != nil && job.Environment.Name != nil {
						v, err := ctx.evalString(job.Environment.Name.Value)
						if err != nil {
							return nil, fmt.Errorf("%s job %s: environment: %w", f.Name, id, err)
						}
						if v.known {
							envs = []string{fmt.Sprint(v.v)}
						} else {
							envs = environments
						}
					}
					for _, env := range envs {
						r := Run{File: f, JobID: id, Job: job, Scenario: sc, Matrix: row, Env: env}
						switch {
						case env != "":
							r.Subject = "environment:" + env
						case sc.Event == "pull_request":
							r.Subject = "pull_request"
						default:
							r.Subject = "ref:" + sc.Ref
						}
						for _, st := range job.Steps {
							a, ok := st.Exec.(*actionlint.ExecAction)
							if !ok || !strings.HasPrefix(a.Uses.Value, awsCredentialsAction+"@") {
								continue
							}
							in, ok := a.Inputs["role-to-assume"]
							if !ok {
								return nil, fmt.Errorf("%s job %s: configure-aws-credentials without role-to-assume", f.Name, id)
							}
							names, err := roleVariables(job, in.Value.Value)
							if err != nil {
								return nil, fmt.Errorf("%s job %s: %w", f.Name, id, err)
							}
							if len(names) > 1 {
								names = []string{row[strings.TrimPrefix(matrixKey(in.Value.Value), "matrix.")]}
							}
							r.RoleVars = append(r.RoleVars, names...)
						}
						out = append(out, r)
					}
				}
			}
		}
	}
	return out, nil
}

var (
	varsDot    = regexp.MustCompile(`^\$\{\{\s*vars\.([A-Za-z0-9_]+)\s*\}\}$`)
	varsMatrix = regexp.MustCompile(`^\$\{\{\s*vars\[\s*(matrix\.[A-Za-z0-9_]+)\s*\]\s*\}\}$`)
)

func matrixKey(expr string) string {
	if m := varsMatrix.FindStringSubmatch(expr); m != nil {
		return m[1]
	}
	return ""
}

// roleVariables returns the variable names role-to-assume can read: ${{ vars.NAME }}, or
// ${{ vars[matrix.KEY] }} with every value KEY takes in the job's matrix.
func roleVariables(job *actionlint.Job, expr string) ([]string, error) {
	if m := varsDot.FindStringSubmatch(expr); m != nil {
		return []string{m[1]}, nil
	}
	key := strings.TrimPrefix(matrixKey(expr), "matrix.")
	if key == "" {
		return nil, fmt.Errorf("role-to-assume %q is neither ${{ vars.NAME }} nor ${{ vars[matrix.KEY] }}", expr)
	}
	rows, err := matrixRows(job)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, r := range rows {
		v, ok := r[key]
		if !ok {
			return nil, fmt.Errorf("role-to-assume: matrix row without %s", key)
		}
		names = append(names, v)
	}
	return names, nil
}

// RoleOf maps a role variable to the role it names: AWS_<ROLE>_ROLE_ARN is an environment
// variable (the job must run in an environment, whose role it names); AWS_<ENV>_PLAN_ROLE_ARN
// is a repository variable naming the plan role of <ENV>.
func RoleOf(variable, env string, environments []string) (role, roleEnv string, err error) {
	name := strings.TrimSuffix(strings.TrimPrefix(variable, "AWS_"), "_ROLE_ARN")
	for _, e := range environments {
		if p := strings.ToUpper(e) + "_PLAN"; name == p {
			return "plan", e, nil
		}
	}
	switch name {
	case "PUSH", "DEPLOY", "APPLY":
		if env == "" {
			return "", "", fmt.Errorf("%s is an environment variable, but the job runs in no environment (it would be empty)", variable)
		}
		return strings.ToLower(name), env, nil
	}
	return "", "", fmt.Errorf("%s names no known role (AWS_{PUSH,DEPLOY,APPLY}_ROLE_ARN, AWS_<ENV>_PLAN_ROLE_ARN)", variable)
}

// --- a small evaluator of GitHub expressions, three-valued: unknown where the scenario does
// not fix a value. Values follow GitHub's rules: || and && return an operand, comparisons of
// strings ignore case, '' and null and false are falsy.

type value struct {
	known bool
	v     any // string, float64, bool or nil
}

var unknown = value{}

func known(v any) value { return value{known: true, v: v} }

func truthy(v value) bool {
	switch x := v.v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case float64:
		return x != 0
	}
	return true
}

type exprContext struct {
	scenario Scenario
	matrix   map[string]string
}

func (c exprContext) lookup(path []string) value {
	p := strings.ToLower(strings.Join(path, "."))
	sc := c.scenario
	switch {
	case p == "github.event_name":
		return known(sc.Event)
	case p == "github.ref":
		return known(sc.Ref)
	case p == "github.ref_type":
		if strings.HasPrefix(sc.Ref, "refs/tags/") {
			return known("tag")
		}
		return known("branch")
	case p == "github.event.pull_request.number":
		if sc.Event == "pull_request" {
			return known("1")
		}
		return known(nil)
	case p == "github.workflow":
		return known("WORKFLOW")
	case strings.HasPrefix(p, "matrix."):
		if v, ok := c.matrix[strings.TrimPrefix(p, "matrix.")]; ok {
			return known(v)
		}
		return unknown
	case strings.HasPrefix(p, "inputs."):
		if sc.Event != "workflow_dispatch" {
			return known(nil)
		}
	}
	return unknown
}

func (c exprContext) parse(src string) (actionlint.ExprNode, error) {
	n, err := actionlint.NewExprParser().Parse(actionlint.NewExprLexer(src + "}}"))
	if err != nil {
		return nil, fmt.Errorf("%s", err.Message)
	}
	return n, nil
}

// evalCondition evaluates an if: value (bare expression, or one ${{ }}).
func (c exprContext) evalCondition(src string) (value, error) {
	s := strings.TrimSpace(src)
	if strings.HasPrefix(s, "${{") && strings.HasSuffix(s, "}}") && strings.Count(s, "${{") == 1 {
		s = strings.TrimSuffix(strings.TrimPrefix(s, "${{"), "}}")
	}
	n, err := c.parse(s)
	if err != nil {
		return unknown, err
	}
	return c.eval(n), nil
}

var placeholder = regexp.MustCompile(`\$\{\{(.*?)\}\}`)

// evalString evaluates a string with ${{ }} placeholders; unknown if any part is.
func (c exprContext) evalString(src string) (value, error) {
	var err error
	allKnown := true
	out := placeholder.ReplaceAllStringFunc(src, func(m string) string {
		n, e := c.parse(placeholder.FindStringSubmatch(m)[1])
		if e != nil {
			err = e
			return ""
		}
		v := c.eval(n)
		if !v.known {
			allKnown = false
			return "?"
		}
		return str2(v)
	})
	if err != nil {
		return unknown, err
	}
	if !allKnown {
		return unknown, nil
	}
	if placeholder.FindString(src) == src {
		// A lone ${{ }} keeps its type (cancel-in-progress: ${{ ... }} is a boolean).
		n, _ := c.parse(placeholder.FindStringSubmatch(src)[1])
		return c.eval(n), nil
	}
	return known(out), nil
}

func str2(v value) string {
	switch x := v.v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v.v)
}

func (c exprContext) eval(n actionlint.ExprNode) value {
	switch n := n.(type) {
	case *actionlint.StringNode:
		return known(n.Value)
	case *actionlint.BoolNode:
		return known(n.Value)
	case *actionlint.NullNode:
		return known(nil)
	case *actionlint.IntNode:
		return known(float64(n.Value))
	case *actionlint.VariableNode, *actionlint.ObjectDerefNode:
		if path := derefPath(n); path != nil {
			return c.lookup(path)
		}
		return unknown
	case *actionlint.NotOpNode:
		v := c.eval(n.Operand)
		if !v.known {
			return unknown
		}
		return known(!truthy(v))
	case *actionlint.LogicalOpNode:
		l := c.eval(n.Left)
		if n.Kind == actionlint.LogicalOpNodeKindAnd {
			if l.known && !truthy(l) {
				return l
			}
			r := c.eval(n.Right)
			if !l.known {
				if r.known && !truthy(r) {
					return known(false)
				}
				return unknown
			}
			return r
		}
		if l.known && truthy(l) {
			return l
		}
		r := c.eval(n.Right)
		if !l.known {
			if r.known && truthy(r) {
				return r
			}
			return unknown
		}
		return r
	case *actionlint.CompareOpNode:
		l, r := c.eval(n.Left), c.eval(n.Right)
		if !l.known || !r.known || !n.Kind.IsEqualityOp() {
			return unknown
		}
		eq := strings.EqualFold(str2(l), str2(r)) && (l.v == nil) == (r.v == nil)
		if n.Kind == actionlint.CompareOpNodeKindNotEq {
			eq = !eq
		}
		return known(eq)
	case *actionlint.FuncCallNode:
		switch strings.ToLower(n.Callee) {
		case "always":
			return known(true)
		case "startswith":
			if len(n.Args) == 2 {
				a, b := c.eval(n.Args[0]), c.eval(n.Args[1])
				if a.known && b.known {
					return known(strings.HasPrefix(strings.ToLower(str2(a)), strings.ToLower(str2(b))))
				}
			}
		}
		return unknown
	}
	return unknown
}

// derefPath turns github.event.pull_request.number into its names, nil for anything else.
func derefPath(n actionlint.ExprNode) []string {
	switch n := n.(type) {
	case *actionlint.VariableNode:
		return []string{n.Name}
	case *actionlint.ObjectDerefNode:
		if p := derefPath(n.Receiver); p != nil {
			return append(p, n.Property)
		}
	}
	return nil
}
