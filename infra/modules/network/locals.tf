locals {
  # /16 -> public /20s at the bottom (netnum 0-2), private /18s from the second quarter (netnum 1-3).
  public_subnet_cidrs  = [for i, _ in var.availability_zones : cidrsubnet(var.vpc_cidr, 4, i)]
  private_subnet_cidrs = [for i, _ in var.availability_zones : cidrsubnet(var.vpc_cidr, 2, i + 1)]

  nat_gateway_count = var.single_nat_gateway ? 1 : length(var.availability_zones)

  cluster_tag = { "kubernetes.io/cluster/${var.cluster_name}" = "shared" }
}
