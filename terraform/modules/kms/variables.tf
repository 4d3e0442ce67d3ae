variable "name" {
  description = "Prefix of the key aliases, e.g. oms-prod."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 characters of lowercase letters, digits and dashes."
  }
}

variable "purposes" {
  description = "One customer-managed key per purpose (alias alias/<name>-<purpose>): eks, msk, redis, documentdb, s3, logs, secrets."
  type        = set(string)
  default     = ["eks", "msk", "redis", "documentdb", "s3", "logs", "secrets"]

  validation {
    condition     = alltrue([for p in var.purposes : contains(["eks", "msk", "redis", "documentdb", "s3", "logs", "secrets"], p)])
    error_message = "purposes may only name eks, msk, redis, documentdb, s3, logs, secrets."
  }
}

variable "deletion_window_in_days" {
  description = "Days a scheduled key deletion waits (7-30): a key deleted by mistake can be recovered meanwhile."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "deletion_window_in_days must be between 7 and 30."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
