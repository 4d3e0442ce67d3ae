variable "name" {
  description = "Cluster name, e.g. oms-prod."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 characters of lowercase letters, digits and dashes."
  }
}

variable "kafka_version" {
  description = "MSK Kafka version. The OMS is tested on Kafka 4.x in KRaft mode; take the closest KRaft version MSK offers."
  type        = string
  default     = "3.9.x.kraft"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.(x|[0-9]+)(\\.kraft)?$", var.kafka_version))
    error_message = "kafka_version must look like 3.9.x, 3.9.x.kraft or 3.6.0."
  }
}

variable "broker_instance_type" {
  description = "Broker instance type (kafka.t3.small for dev, kafka.m7g.large for prod)."
  type        = string

  validation {
    condition     = startswith(var.broker_instance_type, "kafka.")
    error_message = "broker_instance_type must be an MSK instance type (kafka.*)."
  }
}

variable "broker_count" {
  description = "Number of brokers, a multiple of the number of subnets (one per AZ)."
  type        = number

  validation {
    condition     = var.broker_count >= 2
    error_message = "broker_count must be at least 2."
  }
}

variable "broker_volume_gib" {
  description = "EBS storage per broker, GiB."
  type        = number

  validation {
    condition     = var.broker_volume_gib >= 1 && var.broker_volume_gib <= 16384
    error_message = "broker_volume_gib must be between 1 and 16384."
  }
}

variable "subnet_ids" {
  description = "Private data subnets, one per AZ."
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

variable "replication_factor" {
  description = "default.replication.factor and the OMS topics' replication factor (3 on three brokers; 2 on a 2-broker dev cluster)."
  type        = number
  default     = 3

  validation {
    condition     = var.replication_factor >= 2 && var.replication_factor <= 3
    error_message = "replication_factor must be 2 or 3."
  }
}

variable "partitions" {
  description = "Partitions of the OMS topics: the most replicas of risk or the processor that can share work."
  type        = number
  default     = 6

  validation {
    condition     = var.partitions >= 1 && var.partitions <= 64
    error_message = "partitions must be between 1 and 64."
  }
}

variable "kms_key_arn" {
  description = "KMS key for encryption at rest of the broker volumes."
  type        = string
}

variable "secrets_kms_key_arn" {
  description = "Customer-managed KMS key of the SCRAM secret (MSK refuses secrets under the AWS managed key)."
  type        = string
}

variable "logs_kms_key_arn" {
  description = "KMS key of the broker log group."
  type        = string
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the broker logs."
  type        = number
  default     = 365
}

variable "connection_secret_name" {
  description = "Secrets Manager name of the JSON the OMS reads (username, password, bootstrap, partitions), e.g. oms/prod/msk."
  type        = string
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
