variable "region" {
  description = "AWS region of the environment."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as us-east-1."
  }
}

variable "azs" {
  description = "Availability zones (3 in prod)."
  type        = list(string)
}

variable "vpc_cidr" {
  description = "CIDR of the VPC, a /16."
  type        = string
  default     = "10.20.0.0/16"
}

variable "api_domain_name" {
  description = "Host name of the API (ACM certificate, Ingress host)."
  type        = string
}

variable "route53_zone_id" {
  description = "Route 53 hosted zone of api_domain_name."
  type        = string
}

variable "api_allowed_cidrs" {
  description = "CIDRs allowed to reach the API through the ALB."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "eks_public_access_cidrs" {
  description = "CIDRs allowed to reach the Kubernetes API endpoint (deployers, CI); empty for private only."
  type        = list(string)
  default     = []
}

variable "admin_role_arns" {
  description = "IAM roles with cluster-admin access (EKS access entries)."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
