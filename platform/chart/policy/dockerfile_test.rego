# conftest verify: the rules of dockerfile.rego pass a good Dockerfile and fire on the defects they are for.
package dockerfile_test

import data.dockerfile

digest := concat("", ["@sha256:", concat("", [x | some _ in numbers.range(1, 64); x := "a"])])

good := [
	{"Cmd": "comment", "Stage": 0, "Value": ["golang:1.26"]},
	{"Cmd": "from", "Stage": 0, "Value": [concat("", ["golang:1.26", digest]), "AS", "build"]},
	{"Cmd": "copy", "Stage": 0, "Flags": [], "Value": ["go.mod", "go.sum", "./"]},
	{"Cmd": "run", "Stage": 0, "Value": ["go mod download"]},
	{"Cmd": "copy", "Stage": 0, "Flags": [], "Value": [".", "."]},
	{"Cmd": "run", "Stage": 0, "Value": ["./scripts/build.sh /out/orders"]},
	{"Cmd": "comment", "Stage": 1, "Value": ["gcr.io/distroless/static-debian12:nonroot"]},
	{"Cmd": "from", "Stage": 1, "Value": [concat("", ["gcr.io/distroless/static-debian12:nonroot", digest])]},
	{"Cmd": "arg", "Stage": 1, "Value": ["VERSION=dev"]},
	{"Cmd": "arg", "Stage": 1, "Value": ["REVISION"]},
	{"Cmd": "copy", "Stage": 1, "Flags": ["--from=build"], "Value": ["/out/orders", "/bin/orders"]},
	{"Cmd": "user", "Stage": 1, "Value": ["65532:65532"]},
	{"Cmd": "healthcheck", "Stage": 1, "JSON": true, "Value": ["CMD", "/bin/orders", "healthcheck"]},
	{"Cmd": "entrypoint", "Stage": 1, "JSON": true, "Value": ["/bin/orders"]},
]

test_good if count(dockerfile.deny) == 0 with input as good

test_shell_entrypoint if {
	"want one ENTRYPOINT, in exec form, running the binary copied from the build stage" in dockerfile.deny with input as array.concat(array.slice(good, 0, 13), [object.union(good[13], {"JSON": false})])
}

test_sources_before_modules if {
	"build stage: want COPY go.mod go.sum, RUN go mod download, COPY ., RUN ./scripts/build.sh, in this order" in dockerfile.deny with input as array.concat([good[0], good[1], good[4], good[2], good[3]], array.slice(good, 5, 14))
}
