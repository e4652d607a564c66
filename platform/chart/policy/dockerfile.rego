# backend/Dockerfile, as conftest's Dockerfile parser (BuildKit's) reads it: run by make test-chart.
# BuildKit's own lint rules and the built binary's health checks are platform/chart's Go tests.
package dockerfile

froms := [i | some i, c in input; c.Cmd == "from"]

cmds(stage, cmd) := [c | some c in input; c.Stage == stage; c.Cmd == cmd]

deny contains sprintf("%d FROM instructions, want 2 stages (build, runtime)", [count(froms)]) if count(froms) != 2

# Base images pinned by digest, the tag it was taken from in the comment just above each FROM.
base_re := ["^golang:1\\.26(\\.[0-9]+)?@sha256:[a-f0-9]{64}$", "^gcr\\.io/distroless/static-debian12:nonroot@sha256:[a-f0-9]{64}$"]

deny contains sprintf("FROM %s, want %s", [input[i].Value[0], base_re[s]]) if {
	some s, i in froms
	not regex.match(base_re[s], input[i].Value[0])
}

deny contains sprintf("FROM %s: the comment above it does not name the tag %s", [input[i].Value[0], tag]) if {
	some i in froms
	tag := split(input[i].Value[0], "@")[0]
	not comment_names(i - 1, tag)
}

comment_names(i, tag) if {
	input[i].Cmd == "comment"
	contains(input[i].Value[0], tag)
}

# Modules are downloaded before the sources are copied, so that layer survives source edits.
first(name) := [i | some i, c in input; c.Stage == 0; step(name, c)][0]

step("copy go.mod", c) if {
	c.Cmd == "copy"
	array.slice(c.Value, 0, 2) == ["go.mod", "go.sum"]
}

step("download", c) if {
	c.Cmd == "run"
	contains(c.Value[0], "go mod download")
}

step("copy .", c) if {
	c.Cmd == "copy"
	c.Value[0] == "."
}

step("build", c) if {
	c.Cmd == "run"
	contains(c.Value[0], "./scripts/build.sh")
}

order_ok if {
	order := [first("copy go.mod"), first("download"), first("copy ."), first("build")]
	order == sort(order)
}

deny contains "build stage: want COPY go.mod go.sum, RUN go mod download, COPY ., RUN ./scripts/build.sh, in this order" if not order_ok

# Runtime: the build args CI passes (.github/workflows/image.yml), no RUN (distroless has no
# shell), non-root, ENTRYPOINT and HEALTHCHECK in exec form on the binary copied from the build stage.
deny contains sprintf("runtime stage lacks ARG %s", [a]) if {
	some a in ["VERSION", "REVISION"]
	not a in {split(c.Value[0], "=")[0] | some c in cmds(1, "arg")}
}

deny contains "runtime stage has a RUN instruction; distroless has no shell" if count(cmds(1, "run")) > 0

deny contains "runtime stage: the last USER is not nonroot:nonroot (65532)" if {
	users := cmds(1, "user")
	not users[count(users) - 1].Value[0] in {"nonroot:nonroot", "65532:65532"}
}

binaries := [c.Value[1] | some c in cmds(1, "copy"); c.Flags == ["--from=build"]; c.Value[0] == "/out/orders"]

deny contains "runtime stage: want one COPY --from=build /out/orders <binary>" if count(binaries) != 1

deny contains "want one ENTRYPOINT, in exec form, running the binary copied from the build stage" if {
	not exec_form("entrypoint", binaries)
}

deny contains "want one HEALTHCHECK, [CMD <binary> healthcheck ...] in exec form (no shell in the image)" if {
	not exec_form("healthcheck", array.concat(["CMD"], array.concat(binaries, ["healthcheck"])))
}

# exec_form: the stage has one such instruction, in JSON (exec) form, its arguments starting with want.
exec_form(cmd, want) if {
	cs := cmds(1, cmd)
	count(cs) == 1
	cs[0].JSON
	array.slice(cs[0].Value, 0, count(want)) == want
}
