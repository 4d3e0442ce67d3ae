variable "name" {
  description = "Replication group id, e.g. oms-prod."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,39}$", var.name))
    error_message = "name must be 2-40 characters of lowercase letters, digits and dashes."
  }
}

variable "engine_version" {
  description = "Redis OSS engine version (the OMS is tested on Redis 7)."
  type        = string
  default     = "7.1"

  validation {
    condition     = can(regex("^7\\.[0-9]+$", var.engine_version))
    error_message = "engine_version must be a Redis 7 version, e.g. 7.1."
  }
}

variable "node_type" {
  description = "Cache node type (cache.t4g.small for dev, cache.m7g.large for prod)."
  type        = string

  validation {
    condition     = startswith(var.node_type, "cache.")
    error_message = "node_type must be an ElastiCache node type (cache.*)."
  }
}

variable "replicas" {
  description = "Replicas besides the primary, in other AZs: failover targets (Multi-AZ automatic failover needs at least 1)."
  type        = number

  validation {
    condition     = var.replicas >= 1 && var.replicas <= 5
    error_message = "replicas must be between 1 and 5 (a primary alone has no failover)."
  }
}

variable "subnet_ids" {
  description = "Private data subnets."
  type        = list(string)
}

variable "vpc_id" {
  description = "VPC of the cache."
  type        = string
}

variable "client_security_group_ids" {
  description = "Security groups allowed to connect (the EKS cluster security group)."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "KMS key for encryption at rest."
  type        = string
}

variable "secrets_kms_key_arn" {
  description = "KMS key of the connection secret."
  type        = string
}

variable "logs_kms_key_arn" {
  description = "KMS key of the slow-log group."
  type        = string
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the slow log."
  type        = number
  default     = 365
}

variable "snapshot_retention_days" {
  description = "Days of daily snapshots to keep (0 disables them)."
  type        = number
  default     = 7

  validation {
    condition     = var.snapshot_retention_days >= 0 && var.snapshot_retention_days <= 35
    error_message = "snapshot_retention_days must be between 0 and 35."
  }
}

variable "connection_secret_name" {
  description = "Secrets Manager name of the JSON the OMS reads (endpoint, port, auth_token), e.g. oms/prod/redis."
  type        = string
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
