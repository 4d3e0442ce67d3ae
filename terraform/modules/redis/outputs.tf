output "primary_endpoint" {
  description = "Primary endpoint (follows failovers): rediss://:TOKEN@<this>:6379/0."
  value       = aws_elasticache_replication_group.this.primary_endpoint_address
}

output "security_group_id" {
  description = "Security group of the cache nodes."
  value       = aws_security_group.this.id
}

output "connection_secret_arn" {
  description = "Secrets Manager secret the OMS's ExternalSecret reads."
  value       = aws_secretsmanager_secret.connection.arn
}
