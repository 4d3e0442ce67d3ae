variable "name" {
  description = "Name prefix of every resource, e.g. oms-prod."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 characters of lowercase letters, digits and dashes."
  }
}

variable "cidr" {
  description = "IPv4 CIDR of the VPC, a /16: three tiers in three AZs (public and data /21s, app /18s)."
  type        = string

  validation {
    condition     = can(cidrnetmask(var.cidr)) && endswith(var.cidr, "/16")
    error_message = "cidr must be a valid IPv4 /16."
  }
}

variable "azs" {
  description = "Availability zones to use (2 for dev, 3 for prod): one subnet of each tier per zone."
  type        = list(string)

  validation {
    condition     = length(var.azs) >= 2 && length(var.azs) <= 3
    error_message = "azs must list 2 or 3 availability zones (MSK and DocumentDB need at least 2)."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all zones (dev: cheaper, a zone outage cuts egress) instead of one per zone (prod)."
  type        = bool
  default     = false
}

variable "cluster_name" {
  description = "EKS cluster name, for the subnet tags the AWS Load Balancer Controller discovers subnets by."
  type        = string
}

variable "flow_logs_kms_key_arn" {
  description = "KMS key that encrypts the VPC flow log group."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.flow_logs_kms_key_arn))
    error_message = "flow_logs_kms_key_arn must be a KMS key ARN."
  }
}

variable "flow_logs_retention_days" {
  description = "Days CloudWatch keeps the VPC flow logs."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_logs_retention_days)
    error_message = "flow_logs_retention_days must be a retention CloudWatch Logs accepts."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
