# The gate: every pull request and every push to main runs make test, lint, vulncheck, e2e, scan
# and promtool-check (docs/cicd.md; .ci/run runs the same). scan holds the infra security rules
# and the secret scan, promtool-check the alert rules: neither is part of make test. Run by
# conftest --combine on every workflow (make test-workflows), so a deleted ci.yml, or a deleted or
# narrowed job of it, fails here. A job or step with an if: does not count: it may not run.
package gate

required := {"test", "lint", "vulncheck", "e2e", "scan", "promtool-check"}

# sigs.k8s.io/yaml reads the key `on` as the boolean true (YAML 1.1).
triggers(f) := object.get(f.contents, "on", object.get(f.contents, "true", {}))

event(f, ev) if ev in object.keys(triggers(f))

event(f, ev) if ev in triggers(f)

event(f, ev) if triggers(f) == ev

push(f) := c if {
	c := triggers(f).push
	is_object(c)
} else := {}

starts(f, "pull_request") if event(f, "pull_request")

starts(f, "push to main") if {
	event(f, "push")
	not push(f).branches
	not push(f).tags
}

starts(f, "push to main") if {
	event(f, "push")
	"main" in push(f).branches
}

events := ["pull_request", "push to main"]

ran contains [ev, target] if {
	some ev in events
	some f in input
	starts(f, ev)
	some job in object.get(f.contents, "jobs", {})
	not job["if"]
	some step in object.get(job, "steps", [])
	not step["if"]
	some target in required
	regex.match(sprintf(`(?m)\bmake\b[^\n;&|]*\s%s(\s|$)`, [target]), object.get(step, "run", ""))
}

deny contains sprintf("no job of %s runs make %s", [ev, target]) if {
	some ev in events
	some target in required
	not [ev, target] in ran
}
