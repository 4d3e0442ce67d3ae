variable "name" {
  description = "Cluster name, e.g. oms-prod; prefixes the IAM roles and the ECR repository."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 characters of lowercase letters, digits and dashes."
  }
}

variable "kubernetes_version" {
  description = "EKS Kubernetes version (the manifests are validated against this minor: deploy/checks)."
  type        = string
  default     = "1.34"

  validation {
    condition     = can(regex("^1\\.(3[0-9])$", var.kubernetes_version))
    error_message = "kubernetes_version must be 1.30 or later, as MAJOR.MINOR."
  }
}

variable "vpc_id" {
  description = "VPC of the cluster."
  type        = string
}

variable "subnet_ids" {
  description = "Private app subnets for the control plane ENIs and the nodes (one per AZ)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must hold at least two subnets in different AZs."
  }
}

variable "public_access_cidrs" {
  description = "CIDRs allowed to reach the public Kubernetes API endpoint (an office, a VPN, CI). Empty: private endpoint only."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.public_access_cidrs : can(cidrnetmask(c)) && c != "0.0.0.0/0"])
    error_message = "public_access_cidrs must be valid CIDRs, and not 0.0.0.0/0."
  }
}

variable "node_instance_types" {
  description = "Instance types of the managed node group (first is preferred)."
  type        = list(string)

  validation {
    condition     = length(var.node_instance_types) > 0
    error_message = "node_instance_types must name at least one instance type."
  }
}

variable "node_count" {
  description = "Desired, minimum and maximum node counts of the managed node group."
  type = object({
    desired = number
    min     = number
    max     = number
  })

  validation {
    condition     = var.node_count.min >= 1 && var.node_count.min <= var.node_count.desired && var.node_count.desired <= var.node_count.max
    error_message = "node_count must satisfy 1 <= min <= desired <= max."
  }
}

variable "node_disk_gib" {
  description = "Root volume of each node (gp3, encrypted), GiB."
  type        = number
  default     = 50

  validation {
    condition     = var.node_disk_gib >= 20 && var.node_disk_gib <= 1000
    error_message = "node_disk_gib must be between 20 and 1000."
  }
}

variable "secrets_kms_key_arn" {
  description = "KMS key for envelope encryption of Kubernetes Secrets."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.secrets_kms_key_arn))
    error_message = "secrets_kms_key_arn must be a KMS key ARN."
  }
}

variable "logs_kms_key_arn" {
  description = "KMS key of the control plane log group."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.logs_kms_key_arn))
    error_message = "logs_kms_key_arn must be a KMS key ARN."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the control plane logs."
  type        = number
  default     = 365
}

variable "admin_role_arns" {
  description = "IAM roles given cluster-admin through EKS access entries (the deployers)."
  type        = list(string)
  default     = []
}

variable "namespace" {
  description = "Kubernetes namespace of the OMS (the IRSA trust is limited to its ServiceAccounts)."
  type        = string
  default     = "oms"
}

variable "secrets_arn_prefix" {
  description = "ARN prefix of the Secrets Manager secrets the OMS may read, e.g. arn:aws:secretsmanager:us-east-1:123456789012:secret:oms/prod/."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+/$", var.secrets_arn_prefix))
    error_message = "secrets_arn_prefix must be a Secrets Manager ARN prefix ending with '/'."
  }
}

variable "secrets_kms_key_arns" {
  description = "KMS keys the secrets reader may decrypt with (the keys of the OMS secrets)."
  type        = list(string)
}

variable "ecr_kms_key_arn" {
  description = "KMS key of the ECR repository."
  type        = string
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
