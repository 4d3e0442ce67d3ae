output "vpc_id" {
  description = "Id of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "CIDR of the VPC (NetworkPolicy ipBlocks in deploy/k8s/overlays)."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "Public subnets (ALB, NAT gateways), one per AZ."
  value       = aws_subnet.public[*].id
}

output "app_subnet_ids" {
  description = "Private subnets of the EKS nodes and pods, one per AZ."
  value       = aws_subnet.app[*].id
}

output "data_subnet_ids" {
  description = "Private subnets without internet route for MSK, ElastiCache and DocumentDB."
  value       = aws_subnet.data[*].id
}

output "app_subnet_cidrs" {
  description = "CIDRs of the app subnets (the sources the data services' security groups admit)."
  value       = aws_subnet.app[*].cidr_block
}

output "data_subnet_cidrs" {
  description = "CIDRs of the data subnets."
  value       = aws_subnet.data[*].cidr_block
}
