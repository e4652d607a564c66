// Package terraform holds the checks of infra/ that need more than one file type or a second
// tool: the outputs the scripts, workflows and docs read; the Alertmanager routing Terraform
// renders, through amtool; the infra scripts under fakes; Trivy's catch of security mutations
// (-tags trivy, make scan). The rules on the HCL itself are infra/policy (conftest), the
// planned values infra/**/tests (terraform test) (docs/infra.md, "Checks").
package terraform
