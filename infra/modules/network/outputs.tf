output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "IPv4 CIDR of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "Public subnet IDs, in the order of availability_zones."
  value       = aws_subnet.public[*].id
}

output "public_subnet_cidrs" {
  description = "Public subnet CIDRs, in the order of availability_zones: where the internet-facing ALB's ENIs live (the orders chart's networkPolicy.albSourceCidrs)."
  value       = aws_subnet.public[*].cidr_block
}

output "private_subnet_ids" {
  description = "Private subnet IDs, in the order of availability_zones."
  value       = aws_subnet.private[*].id
}

output "private_subnet_ids_by_az" {
  description = "Private subnet ID of each availability zone (one node group per zone uses it)."
  value       = zipmap(var.availability_zones, aws_subnet.private[*].id)
}

output "nat_public_ips" {
  description = "Public IPs of the NAT gateways (egress addresses of the cluster)."
  value       = aws_eip.nat[*].public_ip
}
