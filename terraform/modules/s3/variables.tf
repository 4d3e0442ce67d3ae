variable "name" {
  description = "Name prefix, e.g. oms-prod; the bucket is <name>-dashboard-<account id>."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 characters of lowercase letters, digits and dashes."
  }
}

variable "kms_key_arn" {
  description = "KMS key of the dashboard bucket (CloudFront decrypts through origin access control)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "aliases" {
  description = "Host names of the dashboard, e.g. [\"oms.example.com\"]; empty: the CloudFront domain only."
  type        = list(string)
  default     = []
}

variable "certificate_arn" {
  description = "ACM certificate in us-east-1 covering the aliases (required when aliases is not empty)."
  type        = string
  default     = null
}

variable "price_class" {
  description = "CloudFront price class."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.price_class)
    error_message = "price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "web_acl_arn" {
  description = "Optional WAFv2 web ACL (CLOUDFRONT scope, us-east-1) for the distribution."
  type        = string
  default     = null
}

variable "force_destroy" {
  description = "Let terraform destroy delete the buckets with their objects (dev only)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
