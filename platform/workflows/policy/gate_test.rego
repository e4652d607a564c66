# conftest verify: gate.rego names each target a pull request or a push to main does not run.
package gate_test

import data.gate

ci := {"path": ".github/workflows/ci.yml", "contents": {
	"true": {"pull_request": {"paths": ["backend/**"]}, "push": {"branches": ["main"], "paths": ["backend/**"]}},
	"jobs": {t: {"steps": [{"uses": "actions/checkout@x"}, {"run": sprintf("make %s", [t])}]} | some t in gate.required},
}}

test_ci if count(gate.deny) == 0 with input as [ci]

test_no_ci if count(gate.deny) == 12 with input as []

test_scan_job_deleted if {
	gate.deny == {"no job of pull_request runs make scan", "no job of push to main runs make scan"} with input as [json.remove(ci, ["contents/jobs/scan"])]
}

test_job_with_if if {
	got := gate.deny with input as [json.patch(ci, [{"op": "add", "path": "/contents/jobs/lint/if", "value": "github.event_name == 'push'"}])]
	"no job of pull_request runs make lint" in got
}

test_tags_only if {
	got := gate.deny with input as [json.patch(ci, [{"op": "replace", "path": "/contents/true/push", "value": {"tags": ["v*"]}}])]
	count(got) == 6
	"no job of push to main runs make e2e" in got
}

test_other_target_does_not_count if {
	"no job of pull_request runs make test" in gate.deny with input as [json.patch(ci, [{"op": "replace", "path": "/contents/jobs/test/steps/1/run", "value": "make test-store"}])]
}
