# Subnet math over three zones, load balancer discovery tags, NAT layout and flow logs of the
# network module, on a mocked aws provider (no AWS, no credentials; make test-infra runs it).

mock_provider "aws" {
  mock_data "aws_region" {
    defaults = {
      region = "eu-west-1"
    }
  }
}

variables {
  name               = "orderstack-test"
  cluster_name       = "orderstack-test"
  vpc_cidr           = "10.10.0.0/16"
  availability_zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
  single_nat_gateway = true
}

run "subnets_over_three_zones" {
  command = plan

  assert {
    condition     = aws_subnet.public[*].cidr_block == ["10.10.0.0/20", "10.10.16.0/20", "10.10.32.0/20"]
    error_message = "public subnets: want one /20 per zone at the bottom of the VPC, got ${jsonencode(aws_subnet.public[*].cidr_block)}"
  }

  assert {
    condition     = aws_subnet.private[*].cidr_block == ["10.10.64.0/18", "10.10.128.0/18", "10.10.192.0/18"]
    error_message = "private subnets: want one /18 per zone from the second quarter, got ${jsonencode(aws_subnet.private[*].cidr_block)}"
  }

  assert {
    condition     = tolist(aws_subnet.public[*].availability_zone) == var.availability_zones && tolist(aws_subnet.private[*].availability_zone) == var.availability_zones
    error_message = "each zone needs exactly one public and one private subnet, in the order of availability_zones"
  }

  assert {
    condition     = alltrue([for s in aws_subnet.public : !s.map_public_ip_on_launch])
    error_message = "public subnets must not give instances public IPs (only the ALB and NAT live there)"
  }
}

run "load_balancer_discovery_tags" {
  command = plan

  assert {
    condition = alltrue([for s in aws_subnet.public :
      lookup(s.tags, "kubernetes.io/role/elb", "") == "1" && !contains(keys(s.tags), "kubernetes.io/role/internal-elb")
    ])
    error_message = "internet-facing ALBs are placed by kubernetes.io/role/elb=1 on the public subnets only"
  }

  assert {
    condition = alltrue([for s in aws_subnet.private :
      lookup(s.tags, "kubernetes.io/role/internal-elb", "") == "1" && !contains(keys(s.tags), "kubernetes.io/role/elb")
    ])
    error_message = "internal load balancers are placed by kubernetes.io/role/internal-elb=1 on the private subnets only"
  }

  assert {
    condition = alltrue([for s in concat(aws_subnet.public, aws_subnet.private) :
      lookup(s.tags, "kubernetes.io/cluster/orderstack-test", "") == "shared"
    ])
    error_message = "every subnet carries kubernetes.io/cluster/<cluster_name>=shared"
  }
}

run "single_nat_gateway" {
  assert {
    condition     = length(aws_nat_gateway.this) == 1 && length(aws_eip.nat) == 1
    error_message = "single_nat_gateway = true: one NAT gateway and one EIP"
  }

  assert {
    condition     = alltrue([for r in aws_route.private_nat : r.nat_gateway_id == aws_nat_gateway.this[0].id])
    error_message = "every private route table goes through the one NAT gateway"
  }

  assert {
    condition     = aws_nat_gateway.this[0].subnet_id == aws_subnet.public[0].id
    error_message = "the NAT gateway lives in a public subnet"
  }

  assert {
    condition     = sort(keys(output.private_subnet_ids_by_az)) == sort(var.availability_zones)
    error_message = "one private subnet per zone for the node groups, got zones ${jsonencode(keys(output.private_subnet_ids_by_az))}"
  }

  assert {
    condition     = [for i, az in var.availability_zones : output.private_subnet_ids_by_az[az]] == aws_subnet.private[*].id
    error_message = "each zone's node group gets that zone's private subnet, never a public one"
  }
}

run "nat_gateway_per_zone" {
  variables {
    single_nat_gateway = false
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 3
    error_message = "single_nat_gateway = false: one NAT gateway per zone"
  }

  assert {
    condition     = alltrue([for i in range(3) : aws_route.private_nat[i].nat_gateway_id == aws_nat_gateway.this[i].id && aws_nat_gateway.this[i].subnet_id == aws_subnet.public[i].id])
    error_message = "each zone's private route goes through the NAT gateway in the same zone's public subnet"
  }

  assert {
    condition     = alltrue([for i in range(3) : aws_route_table_association.private[i].route_table_id == aws_route_table.private[i].id && aws_route_table_association.private[i].subnet_id == aws_subnet.private[i].id])
    error_message = "each private subnet uses its own zone's route table"
  }
}

run "endpoints_and_flow_logs" {
  variables {
    flow_logs_enabled = true
  }

  assert {
    condition     = aws_vpc_endpoint.s3.service_name == "com.amazonaws.eu-west-1.s3" && toset(aws_vpc_endpoint.s3.route_table_ids) == toset(aws_route_table.private[*].id)
    error_message = "the S3 gateway endpoint serves every private route table"
  }

  # Trivy's AWS-0107 covers SSH and RDP only: no port is open to the internet here.
  assert {
    condition     = aws_vpc_security_group_ingress_rule.endpoints_https.cidr_ipv4 == aws_vpc.this.cidr_block && aws_vpc_security_group_ingress_rule.endpoints_https.from_port == 443 && aws_vpc_security_group_ingress_rule.endpoints_https.to_port == 443
    error_message = "the interface endpoints admit HTTPS from the VPC only"
  }

  assert {
    condition     = toset(keys(aws_vpc_endpoint.interface)) == toset(["ecr.api", "ecr.dkr", "sts", "logs"])
    error_message = "interface endpoints for ECR, STS (Pod Identity) and CloudWatch Logs"
  }

  assert {
    condition     = length(aws_flow_log.this) == 1 && aws_flow_log.this[0].traffic_type == "ALL" && aws_flow_log.this[0].log_destination == aws_cloudwatch_log_group.flow_logs[0].arn
    error_message = "flow_logs_enabled = true: all traffic into the module's log group"
  }
}

run "rejects_two_zones" {
  command = plan

  variables {
    availability_zones = ["eu-west-1a", "eu-west-1b"]
  }

  expect_failures = [var.availability_zones]
}

run "rejects_a_vpc_too_small_to_split" {
  command = plan

  variables {
    vpc_cidr = "10.10.0.0/24"
  }

  expect_failures = [var.vpc_cidr]
}
