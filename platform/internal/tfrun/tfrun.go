// Package tfrun asks the pinned terraform, not a hand-made evaluator, what infra/ makes: it
// runs `terraform test -json -verbose` on a copy of infra/ (and deploy/, which the stack reads),
// applying the environment root infra/envs once per <env>.tfvars on mocked providers served by
// the schema stand-in (tools/tfschema: no registry, no account), targeted at what the checks of
// platform/ read (Targets), and returns the state terraform prints for each environment.
// TERRAFORM and TFSCHEMA name the binaries (mk/infra.mk builds them). Results are cached in
// $ORDERSTACK_CACHE/tfrun (the repository's .cache without it) by the hash of everything
// terraform reads, so the chart's and the workflows' checks share one run, and a second `make test`
// with infra/ unchanged (in any clone of the machine) runs none.
package tfrun

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Account is the account ID the mocked AWS provider answers.
const Account = "123456789012"

var ErrNoTerraform = errors.New("TERRAFORM and TFSCHEMA unset: run the make target (it builds terraform and the schema stand-in)")

// mocks answer like an account (Account) where modules read it; every provider is mocked.
//
//go:embed mocks.tftest.hcl
var mocks string

// Targets are the resources applied: the CI roles (and what they reference), the cluster (its
// name), the public subnets (the chart's NetworkPolicy admits the ALB from them), the app's and
// MongoDB's namespaces (e2e creates them with Terraform's labels).
var Targets = []string{IAMModule, "module.stack.module.eks.aws_eks_cluster.this", "module.stack.module.network.aws_subnet.public",
	"module.stack.module.addons.kubernetes_namespace_v1.app", "module.stack.module.addons.kubernetes_namespace_v1.mongodb"}

// IAMModule is the address of the CI roles' module.
const IAMModule = "module.stack.module.iam_github"

// PlansKeyARN is the ARN the plans key gets (AWS assigns it; the mock cannot).
func PlansKeyARN(region string) string { return "arn:aws:kms:" + region + ":" + Account + ":key/plans" }

// Env is what Apply needs to know of an environment and gives back.
type Env struct {
	Name    string
	TFVars  map[string]string // the literal string values of <env>.tfvars
	Backend map[string]string // of <env>.s3.tfbackend
	State   State
}

// State is the state terraform applied for one environment.
type State struct {
	Resources []Resource
	Outputs   map[string]any
}

// Resource is one resource or data source of the state.
type Resource struct {
	Address, Mode, Type, Name string
	Values                    map[string]any
}

// Apply applies infra/envs per environment. override replaces files (slash path relative to
// root -> content) in the copy (mutation tests).
func Apply(root string, override map[string]string) (map[string]*Env, error) {
	tf, schema, work, err := workDir("tfrun-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	err = errors.Join(CopyTree(filepath.Join(root, "infra"), filepath.Join(work, "infra")), CopyTree(filepath.Join(root, "deploy"), filepath.Join(work, "deploy")))
	for rel, content := range override {
		err = errors.Join(err, os.WriteFile(filepath.Join(work, filepath.FromSlash(rel)), []byte(content), 0o644))
	}
	if err != nil {
		return nil, err
	}
	envsDir := filepath.Join(work, "infra", "envs")
	tfvars, _ := filepath.Glob(filepath.Join(envsDir, "*.tfvars"))
	if len(tfvars) == 0 {
		return nil, fmt.Errorf("no infra/envs/*.tfvars")
	}
	out, test := map[string]*Env{}, mocks
	for _, p := range tfvars {
		e := &Env{Name: strings.TrimSuffix(filepath.Base(p), ".tfvars")}
		src, err := os.ReadFile(p)
		var errV, errB error
		e.TFVars, errV = Literals(p)
		e.Backend, errB = Literals(filepath.Join(envsDir, e.Name+".s3.tfbackend"))
		if err = errors.Join(err, errV, errB); err != nil {
			return nil, err
		}
		out[e.Name] = e
		// The run fixes what AWS would answer for this environment: its region, the plans key's ARN.
		test += fmt.Sprintf("\nrun %q {\n  command   = apply\n  state_key = %q\n  variables {\n%s\n  }\n  plan_options {\n    target = [%s]\n  }\n"+
			"  override_data {\n    target = %s.data.aws_region.current\n    values = { region = %q }\n  }\n"+
			"  override_resource {\n    target = %s.aws_kms_key.plans\n    values = { arn = %q, key_id = \"plans\" }\n  }\n}\n",
			e.Name, e.Name, src, strings.Join(Targets, ", "), IAMModule, e.TFVars["region"], IAMModule, PlansKeyARN(e.TFVars["region"]))
	}
	if err := os.WriteFile(filepath.Join(envsDir, "tests", "tfrun.tftest.hcl"), []byte(test), 0o644); err != nil {
		return nil, err
	}
	// The binaries by their versioned directory (terraform-v1.13.5-<hash>, tfschema-<hash>), so
	// checkouts sharing the cache (ORDERSTACK_CACHE, set by the Makefile) share results.
	key, err := hashTree(work, filepath.Base(filepath.Dir(tf)), filepath.Base(filepath.Dir(schema)))
	if err != nil {
		return nil, err
	}
	dir := os.Getenv("ORDERSTACK_CACHE")
	if dir == "" {
		dir = filepath.Join(root, ".cache")
	}
	cache := filepath.Join(dir, "tfrun", key+".json")
	if b, err := os.ReadFile(cache); err == nil && json.Unmarshal(b, &out) == nil {
		return out, nil
	}
	env, err := Offline(work, schema)
	if err != nil {
		return nil, err
	}
	terraform := func(args ...string) *exec.Cmd {
		c := exec.Command(tf, append([]string{"-chdir=" + envsDir}, args...)...)
		c.Env = env
		return c
	}
	if b, err := terraform("get", "-no-color").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("terraform get: %v\n%s", err, b)
	}
	stdout, err := terraform("test", "-json", "-verbose", "-no-color", "-filter=tests/tfrun.tftest.hcl").Output()
	var diags []string
	sc := bufio.NewScanner(bytes.NewReader(stdout))
	sc.Buffer(nil, 1<<30) // one line holds an environment's whole state
	for sc.Scan() {
		var msg struct {
			Type       string `json:"type"`
			Run        string `json:"@testrun"`
			Level      string `json:"@level"`
			Message    string `json:"@message"`
			State      *state `json:"test_state"`
			Diagnostic struct{ Detail string }
		}
		switch json.Unmarshal(sc.Bytes(), &msg); {
		case msg.Type == "test_state" && msg.State != nil && out[msg.Run] != nil:
			out[msg.Run].State = msg.State.flatten()
		case msg.Type == "diagnostic" && msg.Level == "error":
			diags = append(diags, msg.Message+": "+msg.Diagnostic.Detail)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("terraform test: %v\n%s", err, strings.Join(diags, "\n"))
	}
	for name, e := range out {
		if e.State.Outputs == nil {
			return nil, fmt.Errorf("terraform test printed no state for %s", name)
		}
	}
	if b, err := json.Marshal(out); err == nil && os.MkdirAll(filepath.Dir(cache), 0o755) == nil {
		tmp := cache + ".tmp" + strconv.Itoa(os.Getpid())
		if os.WriteFile(tmp, b, 0o644) == nil {
			_ = os.Rename(tmp, cache) // a cache: failing to write it only costs the next run
		}
	}
	return out, nil
}

// workDir returns terraform and the schema stand-in (TERRAFORM, TFSCHEMA; ErrNoTerraform when
// unset) and a new temporary directory, which the caller removes.
func workDir(prefix string) (tf, schema, work string, err error) {
	tf, schema = os.Getenv("TERRAFORM"), os.Getenv("TFSCHEMA")
	if tf == "" || schema == "" {
		return "", "", "", ErrNoTerraform
	}
	work, err = os.MkdirTemp("", prefix)
	return tf, schema, work, err
}

// Offline makes terraform run without a registry: in dir it links terraform-provider-<name> to
// the schema stand-in for each provider infra/ uses and writes a CLI configuration whose
// dev_overrides point there and whose only mirror matches nothing, so any other provider fails
// instead of being downloaded. It returns the environment for terraform: this process's, without
// the settings that would send terraform elsewhere, with the configuration, no prompts or update
// checks, and GOGC=400 unless GOGC is set. The one Go copy of this setup;
// tools/terraform/check.sh does the same in bash, and tools/tfschema's tests (a module of their
// own) for the stand-in they test.
func Offline(dir, schema string) ([]string, error) {
	providers := filepath.Join(dir, "providers")
	err := os.MkdirAll(providers, 0o755)
	rc := "provider_installation {\n  dev_overrides {\n"
	for _, p := range []string{"aws", "helm", "kubernetes", "random"} {
		err = errors.Join(err, os.Symlink(schema, filepath.Join(providers, "terraform-provider-"+p)))
		rc += fmt.Sprintf("    %q = %q\n", "hashicorp/"+p, providers)
	}
	rc += fmt.Sprintf("  }\n  filesystem_mirror {\n    path    = %q\n    include = [\"example.invalid/*/*\"]\n  }\n}\n", filepath.Join(dir, "no-mirror"))
	cfg := filepath.Join(dir, "terraformrc")
	if err = errors.Join(err, os.WriteFile(cfg, []byte(rc), 0o644)); err != nil {
		return nil, err
	}
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return slices.Contains([]string{"TF_PLUGIN_CACHE_DIR", "TF_DATA_DIR", "TF_WORKSPACE", "TF_CLI_CONFIG_FILE", "TF_CLI_ARGS"}, name)
	})
	env = append(env, "TF_CLI_CONFIG_FILE="+cfg, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1", "TF_INPUT=0")
	if os.Getenv("GOGC") == "" {
		// As check.sh: terraform spends less CPU collecting garbage, for at most ~450 MB.
		env = append(env, "GOGC=400")
	}
	return env, nil
}

// Console evaluates expr with `terraform console` in a copy of the module directory dir, with
// the variables of tfvars (HCL text), on the schema stand-in (Offline), and returns the last
// line it prints (terraform warns first that provider overrides are in effect): expr must print
// one line, e.g. jsonencode(...). ErrNoTerraform when TERRAFORM or TFSCHEMA is unset.
func Console(dir, tfvars, expr string) ([]byte, error) {
	tf, schema, work, err := workDir("tfconsole-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	mod, vars := filepath.Join(work, "module"), filepath.Join(work, "vars.tfvars")
	err = errors.Join(CopyTree(dir, mod), os.WriteFile(vars, []byte(tfvars), 0o644))
	env, offErr := Offline(work, schema)
	if err = errors.Join(err, offErr); err != nil {
		return nil, err
	}
	cmd := exec.Command(tf, "-chdir="+mod, "console", "-var-file="+vars)
	cmd.Env = append(env, "TF_DATA_DIR="+filepath.Join(work, "data"))
	cmd.Stdin = strings.NewReader(expr + "\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("terraform console %s <<< %s: %v\n%s%s", dir, expr, err, out, stderr.Bytes())
	}
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	return lines[len(lines)-1], nil
}

// hashTree is the SHA-256 of every file under dir (path and content) and of the tools' names.
func hashTree(dir string, tools ...string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%q\x00", tools)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(h, "%s\x00%d\x00%s", rel, len(b), b)
		return err
	})
	return hex.EncodeToString(h.Sum(nil)), err
}

// state is the JSON of terraform's state (terraform show -json's "values").
type state struct {
	Root    module `json:"root_module"`
	Outputs map[string]struct {
		Value any `json:"value"`
	} `json:"outputs"`
}

type module struct {
	Resources []Resource `json:"resources"`
	Children  []module   `json:"child_modules"`
}

func (s *state) flatten() State {
	out := State{Outputs: map[string]any{}}
	for k, v := range s.Outputs {
		out.Outputs[k] = v.Value
	}
	var walk func(m module)
	walk = func(m module) {
		out.Resources = append(out.Resources, m.Resources...)
		for _, c := range m.Children {
			walk(c)
		}
	}
	walk(s.Root)
	return out
}

// Literals reads the string values of a .tfvars or .tfbackend file (which hold only literals).
func Literals(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, diags := hclsyntax.ParseConfig(b, path, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	out := map[string]string{}
	for name, a := range f.Body.(*hclsyntax.Body).Attributes {
		if v, d := a.Expr.Value(nil); !d.HasErrors() && v.Type().FriendlyName() == "string" && !v.IsNull() {
			out[name] = v.AsString()
		}
	}
	return out, nil
}

// CopyTree copies src to dst without terraform's working files (.terraform, the lock file, state).
func CopyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		switch name := d.Name(); {
		case name == ".terraform" || name == ".terraform.lock.hcl" || strings.Contains(name, ".tfstate"):
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		case d.IsDir():
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err == nil {
			err = os.WriteFile(filepath.Join(dst, rel), b, 0o644)
		}
		return err
	})
}
