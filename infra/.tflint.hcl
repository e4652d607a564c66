# tflint for every root and module under infra/ (make test-infra runs `tflint --recursive`).
# Both rule sets are built pinned by the Makefile: tflint's bundled terraform rules and the AWS
# ruleset from tools/tflint-ruleset-aws, loaded from TFLINT_PLUGIN_DIR (no source/version here, so
# tflint never downloads a plugin).

config {
  call_module_type = "local"
}

# The "recommended" preset plus the conventions the modules follow (docs/infra.md).
plugin "terraform" {
  enabled = true
  preset  = "all"
}

plugin "aws" {
  enabled = true
}
