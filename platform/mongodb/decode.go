package mongodb

import (
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

// DecodeObject decodes one YAML or JSON object as the API server does: integers become
// int64, other numbers float64.
func DecodeObject(data []byte) (map[string]any, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, err
	}
	var obj map[string]any
	return obj, utiljson.Unmarshal(js, &obj)
}
