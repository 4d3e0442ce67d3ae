variable "name" {
  description = "Name prefix, e.g. oms-prod."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 characters of lowercase letters, digits and dashes."
  }
}

variable "vpc_id" {
  description = "VPC of the ALB."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR of the VPC: the ALB may send only to targets inside it."
  type        = string

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr))
    error_message = "vpc_cidr must be a valid IPv4 CIDR."
  }
}

variable "domain_name" {
  description = "Host name of the API, e.g. api.oms.example.com (the ACM certificate is for it)."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", var.domain_name))
    error_message = "domain_name must be a DNS name."
  }
}

variable "route53_zone_id" {
  description = "Route 53 hosted zone of domain_name, for the certificate's DNS validation records."
  type        = string
}

variable "allowed_cidrs" {
  description = "CIDRs allowed to reach the API (HTTPS); 0.0.0.0/0 for a public API."
  type        = list(string)

  validation {
    condition     = length(var.allowed_cidrs) > 0 && alltrue([for c in var.allowed_cidrs : can(cidrnetmask(c))])
    error_message = "allowed_cidrs must hold at least one valid CIDR."
  }
}

variable "rate_limit_per_5min" {
  description = "WAF: requests per 5 minutes from one IP before it is blocked."
  type        = number
  default     = 20000

  validation {
    condition     = var.rate_limit_per_5min >= 100
    error_message = "rate_limit_per_5min must be at least 100."
  }
}

variable "logs_retention_days" {
  description = "Days to keep the ALB access logs."
  type        = number
  default     = 365
}

variable "logs_kms_key_arn" {
  description = "KMS key of the WAF log group."
  type        = string
}

variable "force_destroy_logs" {
  description = "Let terraform destroy delete the access-logs bucket with its objects (dev only)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
