// Package helmrender renders a chart the way `helm template` does, with the Helm SDK: a client-only
// install (values merged like the CLI, the chart's values.schema.json enforced, templates rendered
// for a given Kubernetes version and set of APIs), nothing sent anywhere.
package helmrender

import (
	"cmp"
	"errors"
	"path/filepath"
	"slices"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/getter"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	"helm.sh/helm/v3/pkg/release"
)

// KubeVersion is the Kubernetes the charts are rendered for: the oldest EKS version they support
// (Chart.yaml kubeVersion).
const KubeVersion = "v1.33.0"

// Options are the inputs of one render.
type Options struct {
	Release   string // release name; the chart's name when empty
	Namespace string // the release name when empty
	// Values, lowest precedence first: Values (as if one more values file), then ValueFiles
	// (relative to the chart directory) and Set, as the CLI applies -f and --set.
	Values     map[string]any
	ValueFiles []string
	Set        []string
	// APIVersions the cluster serves besides the built-in ones, as `--api-versions` (e.g.
	// monitoring.coreos.com/v1/ServiceMonitor).
	APIVersions []string
}

// Render renders the chart in dir. The release holds the manifest (hooks excluded), the hooks and
// the rendered NOTES.txt.
func Render(dir string, o Options) (*release.Release, error) {
	chrt, err := loader.Load(dir)
	vals, kv, verr := o.values(dir)
	if err = errors.Join(err, verr); err != nil {
		return nil, err
	}
	install := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	install.DryRun, install.ClientOnly, install.KubeVersion, install.APIVersions = true, true, kv, o.APIVersions
	install.ReleaseName = cmp.Or(o.Release, chrt.Name())
	install.Namespace = cmp.Or(o.Namespace, install.ReleaseName)
	return install.Run(chrt, vals)
}

// Lint runs the Helm SDK's linter on the chart in dir (what `helm lint --strict` runs: Chart.yaml,
// values against the schema, every template rendered and parsed) with o's values and namespace, and
// returns its warnings and errors.
func Lint(dir string, o Options) ([]support.Message, error) {
	vals, kv, err := o.values(dir)
	if err != nil {
		return nil, err
	}
	msgs := lint.AllWithKubeVersion(dir, vals, o.Namespace, kv).Messages
	return slices.DeleteFunc(msgs, func(m support.Message) bool { return m.Severity < support.WarningSev }), nil
}

// values merges o's values in the CLI's order and parses KubeVersion.
func (o Options) values(dir string) (map[string]any, *chartutil.KubeVersion, error) {
	vo := values.Options{Values: o.Set}
	for _, f := range o.ValueFiles {
		vo.ValueFiles = append(vo.ValueFiles, filepath.Join(dir, f))
	}
	vals, err := vo.MergeValues(getter.Providers{})
	if err != nil {
		return nil, nil, err
	}
	kv, err := chartutil.ParseKubeVersion(KubeVersion)
	return chartutil.MergeTables(vals, o.Values), kv, err // MergeTables: the first argument wins
}
