variable "name" {
  description = "Cluster identifier, e.g. oms-prod."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,50}$", var.name))
    error_message = "name must be 2-51 characters of lowercase letters, digits and dashes."
  }
}

variable "engine_version" {
  description = "DocumentDB engine version (MongoDB 5.0 compatibility)."
  type        = string
  default     = "5.0.0"

  validation {
    condition     = contains(["5.0.0", "8.0.0"], var.engine_version)
    error_message = "engine_version must be 5.0.0 or 8.0.0."
  }
}

variable "instance_class" {
  description = "Instance class (db.t4g.medium for dev, db.r6g.large for prod)."
  type        = string

  validation {
    condition     = startswith(var.instance_class, "db.")
    error_message = "instance_class must be a DocumentDB instance class (db.*)."
  }
}

variable "instance_count" {
  description = "Instances: 1 primary + replicas in other AZs (failover targets)."
  type        = number

  validation {
    condition     = var.instance_count >= 1 && var.instance_count <= 16
    error_message = "instance_count must be between 1 and 16."
  }
}

variable "subnet_ids" {
  description = "Private data subnets."
  type        = list(string)
}

variable "vpc_id" {
  description = "VPC of the cluster."
  type        = string
}

variable "client_security_group_ids" {
  description = "Security groups allowed to connect (the EKS cluster security group)."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "KMS key for storage encryption."
  type        = string
}

variable "secrets_kms_key_arn" {
  description = "KMS key of the connection secret."
  type        = string
}

variable "backup_retention_days" {
  description = "Days of continuous backups (point-in-time restore)."
  type        = number
  default     = 7

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35
    error_message = "backup_retention_days must be between 1 and 35."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the cluster (prod: true)."
  type        = bool
  default     = true
}

variable "connection_secret_name" {
  description = "Secrets Manager name of the JSON the OMS reads (username, password, endpoint, port), e.g. oms/prod/documentdb."
  type        = string
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
