package workflows

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/nektos/act/pkg/exprparser"
	"github.com/nektos/act/pkg/model"
	"github.com/rhysd/actionlint"
)

// Which job runs with which AWS role, and under which OIDC subject. GitHub's default subject
// (docs.github.com, "OpenID Connect reference", example subject claims) is
// repo:<owner/name>:environment:<name> for a job that names an environment, whatever the
// event; otherwise repo:<owner/name>:pull_request for pull_request events and
// repo:<owner/name>:ref:<ref> for the others (workflow_run runs on the default branch). Each job
// is examined in concrete scenarios (event and ref), its `if:` evaluated by act's evaluator with
// what the scenario fixes (evaluate).

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
	return fmt.Sprintf("%s job %s %s (%s %s)", r.File.Name, r.JobID, strings.TrimPrefix(fmt.Sprint(r.Matrix), "map"), r.Scenario.Event, r.Scenario.Ref)
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
				for i := 0; e.Branches != nil && i < len(e.Branches.Values); i++ {
					out = append(out, Scenario{"push", "refs/heads/" + e.Branches.Values[i].Value})
				}
				for i := 0; e.Tags != nil && i < len(e.Tags.Values); i++ {
					out = append(out, Scenario{"push", "refs/tags/" + strings.ReplaceAll(e.Tags.Values[i].Value, "*", "1.0.0")})
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
		default:
			return nil, fmt.Errorf("trigger %s is not modelled", ev.EventName())
		}
	}
	return out, nil
}

// runText is a step's run: script ("" for an action).
func runText(st *actionlint.Step) string {
	if r, ok := st.Exec.(*actionlint.ExecRun); ok && r.Run != nil {
		return r.Run.Value
	}
	return ""
}

// actionOf is a step's action without its version, and its inputs ("" for a run: step).
func actionOf(st *actionlint.Step) (string, map[string]string) {
	a, ok := st.Exec.(*actionlint.ExecAction)
	if !ok || a.Uses == nil {
		return "", nil
	}
	in := map[string]string{}
	for k, v := range a.Inputs {
		if v.Value != nil {
			in[k] = v.Value.Value
		}
	}
	return a.Uses.Value[:max(strings.Index(a.Uses.Value, "@"), 0)], in
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
		for _, id := range slices.Sorted(maps.Keys(f.Workflow.Jobs)) {
			runs, err := jobRuns(f, id, scs, environments)
			if err != nil {
				return nil, fmt.Errorf("%s job %s: %w", f.Name, id, err)
			}
			out = append(out, runs...)
		}
	}
	return out, nil
}

func jobRuns(f *File, id string, scs []Scenario, environments []string) ([]Run, error) {
	job := f.Workflow.Jobs[id]
	if job.WorkflowCall != nil {
		return nil, fmt.Errorf("reusable workflow calls are not modelled")
	}
	matrices, err := f.Act.Jobs[id].GetMatrixes() // GitHub's expansion: rows, include, exclude
	if err != nil {
		return nil, err
	}
	var out []Run
	for _, m := range matrices {
		row := map[string]string{}
		for k, v := range m {
			row[k] = fmt.Sprint(v)
		}
		var vars []string
		for _, st := range job.Steps {
			if uses, in := actionOf(st); uses == awsCredentialsAction {
				name, err := roleVariable(in["role-to-assume"], row)
				if err != nil {
					return nil, err
				}
				vars = append(vars, name)
			}
		}
		for _, sc := range scs {
			if job.If != nil && job.If.Value != "" {
				cond := job.If.Value
				if !strings.Contains(cond, "${{") {
					cond = "${{ " + cond + " }}"
				}
				if v, ok, err := evaluate(sc, row, cond); err != nil {
					return nil, fmt.Errorf("if: %w", err)
				} else if ok && !exprparser.IsTruthy(v) {
					continue
				}
			}
			envs := []string{""}
			if job.Environment != nil && job.Environment.Name != nil {
				v, ok, err := evaluate(sc, row, job.Environment.Name.Value)
				if err != nil {
					return nil, fmt.Errorf("environment: %w", err)
				}
				if envs = environments; ok {
					envs = []string{fmt.Sprint(v)}
				}
			}
			for _, env := range envs {
				r := Run{File: f, JobID: id, Job: job, Scenario: sc, Matrix: row, Env: env, Subject: "ref:" + sc.Ref, RoleVars: vars}
				if env != "" {
					r.Subject = "environment:" + env
				} else if sc.Event == "pull_request" {
					r.Subject = "pull_request"
				}
				out = append(out, r)
			}
		}
	}
	return out, nil
}

var roleExpr = regexp.MustCompile(`^\$\{\{\s*vars(?:\.([A-Za-z0-9_]+)|\[\s*matrix\.([A-Za-z0-9_]+)\s*\])\s*\}\}$`)

// roleVariable returns the variable role-to-assume reads in a matrix row: ${{ vars.NAME }}, or
// ${{ vars[matrix.KEY] }} with the row's value of KEY.
func roleVariable(expr string, row map[string]string) (string, error) {
	m := roleExpr.FindStringSubmatch(expr)
	switch {
	case m == nil:
		return "", fmt.Errorf("role-to-assume %q is neither ${{ vars.NAME }} nor ${{ vars[matrix.KEY] }}", expr)
	case m[1] != "":
		return m[1], nil
	case row[m[2]] == "":
		return "", fmt.Errorf("role-to-assume: matrix row without %s", m[2])
	}
	return row[m[2]], nil
}

// evaluate evaluates src, a string with ${{ }} placeholders, with act's GitHub expression
// evaluator (nektos/act pkg/exprparser) in a scenario: the event, ref and matrix row are fixed,
// and the event's payload is the one under which jobs run (a pull request from this repository,
// a successful workflow run of a push). ok is false where src reads what no scenario fixes
// (needs, steps, inputs). A lone ${{ }} keeps its type (cancel-in-progress is a boolean).
func evaluate(sc Scenario, matrix map[string]string, src string) (v any, ok bool, err error) {
	if unfixed.MatchString(src) {
		return nil, false, nil
	}
	refType, m := map[bool]string{false: "branch", true: "tag"}[strings.HasPrefix(sc.Ref, "refs/tags/")], map[string]any{}
	for k, v := range matrix {
		m[k] = v
	}
	const repo = "OWNER/REPO"
	ev := map[string]map[string]any{
		"pull_request": {"number": 1, "head": map[string]any{"repo": map[string]any{"full_name": repo}}},
		"workflow_run": {"conclusion": "success", "event": "push", "head_branch": "main"},
	}[sc.Event]
	in := exprparser.NewInterpeter(&exprparser.EvaluationEnvironment{Matrix: m, Github: &model.GithubContext{
		EventName: sc.Event, Ref: sc.Ref, RefType: refType, Event: ev, Workflow: "WORKFLOW", Repository: repo}}, exprparser.Config{})
	if m := placeholder.FindStringSubmatch(src); m != nil && m[0] == src {
		v, err := in.Evaluate(m[1], exprparser.DefaultStatusCheckNone)
		return v, err == nil, err
	}
	out := placeholder.ReplaceAllStringFunc(src, func(p string) string {
		v, e := in.Evaluate(placeholder.FindStringSubmatch(p)[1], exprparser.DefaultStatusCheckNone)
		if err = cmp.Or(err, e); v == nil {
			return ""
		}
		return fmt.Sprint(v)
	})
	return out, err == nil, err
}

var (
	placeholder = regexp.MustCompile(`\$\{\{(.*?)\}\}`)
	unfixed     = regexp.MustCompile(`\b(needs|steps|inputs)\.`)
)
