# The mocked providers of tfrun.Apply's terraform test: they answer like an account (tfrun.Account)
# where modules read it.
mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_iam_openid_connect_provider" {
    defaults = { arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" }
  }
  mock_resource "aws_eks_cluster" {
    defaults = { certificate_authority = [{ data = "" }] }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:eu-west-1:123456789012:alerts" }
  }
  mock_resource "aws_eks_node_group" {
    defaults = { resources = [{ autoscaling_groups = [{ name = "asg" }] }] }
  }
}
mock_provider "helm" {}
mock_provider "kubernetes" {}
mock_provider "random" {}
