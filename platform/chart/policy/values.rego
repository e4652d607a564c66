# deploy/helm/orders: every property of values.schema.json has its default in values.yaml
# (run by make test-chart: conftest --combine on both files). The other direction needs no rule:
# the schema refuses unknown keys at every level, so a values.yaml key it lacks fails every render.
package values

file(name) := [f.contents | some f in input; endswith(f.path, name)][0]

# Properties of the schema as value paths: every other step is "properties" (not inside if/then),
# and a property that is a $ref to a definition has that definition's properties below it.
schema := file("values.schema.json")

props contains [step | some i, step in p; i % 2 == 0] if {
	walk(schema.properties, [p, _])
	property(p)
}

props contains array.concat([step | some i, step in p; i % 2 == 0], [k]) if {
	walk(schema.properties, [p, node])
	property(p)
	some k, _ in schema.definitions[trim_prefix(node["$ref"], "#/definitions/")].properties
}

property(p) if {
	count(p) % 2 == 1
	count([i | some i, step in p; i % 2 == 1; step != "properties"]) == 0
}

deny contains sprintf("values.schema.json property %s has no default in values.yaml", [concat(".", p)]) if {
	some p in props
	p != ["global"] # Helm's own key for parent charts
	object.get(file("values.yaml"), p, "<absent>") == "<absent>"
}
