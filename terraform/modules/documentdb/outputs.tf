output "endpoint" {
  description = "Cluster endpoint (writer; use with replicaSet=rs0 so the driver follows failovers)."
  value       = aws_docdb_cluster.this.endpoint
}

output "reader_endpoint" {
  description = "Reader endpoint."
  value       = aws_docdb_cluster.this.reader_endpoint
}

output "security_group_id" {
  description = "Security group of the cluster."
  value       = aws_security_group.this.id
}

output "connection_secret_arn" {
  description = "Secrets Manager secret the OMS's ExternalSecret reads."
  value       = aws_secretsmanager_secret.connection.arn
}
