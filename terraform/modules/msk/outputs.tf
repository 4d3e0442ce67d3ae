output "cluster_arn" {
  description = "ARN of the MSK cluster."
  value       = aws_msk_cluster.this.arn
}

output "bootstrap_brokers_sasl_scram" {
  description = "Bootstrap brokers of the SASL/SCRAM over TLS listener (port 9096)."
  value       = aws_msk_cluster.this.bootstrap_brokers_sasl_scram
}

output "security_group_id" {
  description = "Security group of the brokers."
  value       = aws_security_group.this.id
}

output "connection_secret_arn" {
  description = "Secrets Manager secret the OMS's ExternalSecret reads."
  value       = aws_secretsmanager_secret.connection.arn
}
