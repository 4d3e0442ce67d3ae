output "key_arns" {
  description = "ARN of each key, by purpose."
  value       = { for p, k in aws_kms_key.this : p => k.arn }
}

output "key_ids" {
  description = "Id of each key, by purpose."
  value       = { for p, k in aws_kms_key.this : p => k.key_id }
}
