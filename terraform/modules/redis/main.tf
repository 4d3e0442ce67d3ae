# ElastiCache for the OMS's idempotency claims: cluster mode disabled (the two keys of a claim
# cannot share a hash slot), noeviction (an evicted claim would let a duplicate order through),
# TLS in transit with an AUTH token, encryption at rest with a customer key.

resource "aws_security_group" "this" {
  name        = "${var.name}-redis"
  description = "ElastiCache ${var.name}: Redis over TLS from the EKS cluster only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-redis" })
}

resource "aws_vpc_security_group_ingress_rule" "redis" {
  # count, not for_each: the ids are known only after apply (the EKS cluster makes its group).
  count = length(var.client_security_group_ids)

  security_group_id            = aws_security_group.this.id
  description                  = "Redis (TLS) from ${var.client_security_group_ids[count.index]}"
  referenced_security_group_id = var.client_security_group_ids[count.index]
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
}

resource "aws_elasticache_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.subnet_ids
  tags       = var.tags
}

resource "aws_elasticache_parameter_group" "this" {
  name   = "${var.name}-oms"
  family = "redis7"

  parameter {
    name  = "maxmemory-policy"
    value = "noeviction"
  }

  tags = var.tags
}

resource "random_password" "auth" {
  length  = 64
  special = false
}

resource "aws_cloudwatch_log_group" "slow_log" {
  name              = "/aws/elasticache/${var.name}/slow-log"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

resource "aws_elasticache_replication_group" "this" {
  replication_group_id       = var.name
  description                = "OMS idempotency claims (${var.name})"
  engine                     = "redis"
  engine_version             = var.engine_version
  node_type                  = var.node_type
  num_cache_clusters         = 1 + var.replicas
  port                       = 6379
  parameter_group_name       = aws_elasticache_parameter_group.this.name
  subnet_group_name          = aws_elasticache_subnet_group.this.name
  security_group_ids         = [aws_security_group.this.id]
  automatic_failover_enabled = true
  multi_az_enabled           = true
  at_rest_encryption_enabled = true
  kms_key_id                 = var.kms_key_arn
  transit_encryption_enabled = true
  auth_token                 = random_password.auth.result
  auth_token_update_strategy = "ROTATE"
  snapshot_retention_limit   = var.snapshot_retention_days
  auto_minor_version_upgrade = true
  apply_immediately          = false

  log_delivery_configuration {
    destination      = aws_cloudwatch_log_group.slow_log.name
    destination_type = "cloudwatch-logs"
    log_format       = "json"
    log_type         = "slow-log"
  }

  tags = var.tags
}

resource "aws_secretsmanager_secret" "connection" {
  # checkov:skip=CKV2_AWS_57:The Redis AUTH token is rotated by replacing random_password.auth (auth_token_update_strategy ROTATE keeps the old one valid meanwhile), not by a rotation Lambda
  name        = var.connection_secret_name
  description = "Redis connection of the OMS (ElastiCache ${var.name})"
  kms_key_id  = var.secrets_kms_key_arn
  tags        = var.tags
}

resource "aws_secretsmanager_secret_version" "connection" {
  secret_id = aws_secretsmanager_secret.connection.id
  secret_string = jsonencode({
    endpoint   = aws_elasticache_replication_group.this.primary_endpoint_address
    port       = "6379"
    auth_token = random_password.auth.result
  })
}
