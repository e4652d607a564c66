# conftest verify: values.rego finds a property without default, also below a $ref, and not inside if/then.
package values_test

import data.values

schema := {"path": "values.schema.json", "contents": {
	"definitions": {"timing": {"properties": {"periodSeconds": {}}}},
	"properties": {
		"global": {},
		"probe": {"$ref": "#/definitions/timing"},
		"scaling": {"properties": {"enabled": {}}, "if": {"properties": {"enabled": {"const": true}}}},
	},
}}

test_all_defaults if {
	count(values.deny) == 0 with input as [schema, {"path": "values.yaml", "contents": {"probe": {"periodSeconds": 2}, "scaling": {"enabled": false}}}]
}

test_missing_defaults if {
	values.deny == {
		"values.schema.json property probe.periodSeconds has no default in values.yaml",
		"values.schema.json property scaling.enabled has no default in values.yaml",
	} with input as [schema, {"path": "values.yaml", "contents": {"probe": {}, "scaling": {}}}]
}
