# Every service account the module is given receives the module's own role (applied on a mocked
# aws provider, so the role has an ARN to compare with).

mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{}"
    }
  }
}

variables {
  name                        = "orderstack-test-bkp"
  cluster_name                = "orderstack-test"
  namespace                   = "mongodb"
  service_account             = "orders-mongodb"
  additional_service_accounts = [{ namespace = "mongodb", service_account = "psmdb-operator" }]
  policy_json                 = "{}"
}

run "associations" {
  assert {
    condition = alltrue([for a in concat([aws_eks_pod_identity_association.this], values(aws_eks_pod_identity_association.additional)) :
    a.role_arn == aws_iam_role.this.arn && a.cluster_name == "orderstack-test"])
    error_message = "each association carries the module's role, in the module's cluster"
  }

  assert {
    condition     = output.service_accounts == ["mongodb/orders-mongodb", "mongodb/psmdb-operator"]
    error_message = "the main service account first, then each additional one"
  }
}
