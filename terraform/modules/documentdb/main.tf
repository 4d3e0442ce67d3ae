# DocumentDB for the OMS store: TLS enforced by the parameter group, storage encrypted with a
# customer key, audit and profiler logs exported, continuous backups, final snapshot on delete.

resource "aws_security_group" "this" {
  name        = "${var.name}-docdb"
  description = "DocumentDB ${var.name}: TLS from the EKS cluster only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-docdb" })
}

resource "aws_vpc_security_group_ingress_rule" "docdb" {
  # count, not for_each: the ids are known only after apply (the EKS cluster makes its group).
  count = length(var.client_security_group_ids)

  security_group_id            = aws_security_group.this.id
  description                  = "DocumentDB (TLS) from ${var.client_security_group_ids[count.index]}"
  referenced_security_group_id = var.client_security_group_ids[count.index]
  ip_protocol                  = "tcp"
  from_port                    = 27017
  to_port                      = 27017
}

resource "aws_docdb_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.subnet_ids
  tags       = var.tags
}

resource "aws_docdb_cluster_parameter_group" "this" {
  name        = "${var.name}-oms"
  family      = "docdb${substr(var.engine_version, 0, 3)}"
  description = "OMS: TLS required, audit and profiler on"

  parameter {
    name  = "tls"
    value = "enabled"
  }

  parameter {
    name  = "audit_logs"
    value = "enabled"
  }

  parameter {
    name  = "profiler"
    value = "enabled"
  }

  parameter {
    name  = "profiler_threshold_ms"
    value = "100"
  }

  tags = var.tags
}

resource "random_password" "master" {
  length  = 40
  special = false
}

resource "aws_docdb_cluster" "this" {
  cluster_identifier              = var.name
  engine                          = "docdb"
  engine_version                  = var.engine_version
  master_username                 = "omsadmin"
  master_password                 = random_password.master.result
  db_subnet_group_name            = aws_docdb_subnet_group.this.name
  db_cluster_parameter_group_name = aws_docdb_cluster_parameter_group.this.name
  vpc_security_group_ids          = [aws_security_group.this.id]
  storage_encrypted               = true
  kms_key_id                      = var.kms_key_arn
  backup_retention_period         = var.backup_retention_days
  preferred_backup_window         = "02:00-03:00"
  preferred_maintenance_window    = "sun:04:00-sun:05:00"
  enabled_cloudwatch_logs_exports = ["audit", "profiler"]
  deletion_protection             = var.deletion_protection
  skip_final_snapshot             = false
  final_snapshot_identifier       = "${var.name}-final"
  apply_immediately               = false
  tags                            = var.tags
}

resource "aws_docdb_cluster_instance" "this" {
  count = var.instance_count

  identifier                 = "${var.name}-${count.index}"
  cluster_identifier         = aws_docdb_cluster.this.id
  instance_class             = var.instance_class
  auto_minor_version_upgrade = true
  tags                       = var.tags
}

# The store connection for External Secrets (OMS_STORE). The master user bootstraps the
# database; docs/DEPLOYMENT.md creates a readWrite user `oms` and swaps it in here.
resource "aws_secretsmanager_secret" "connection" {
  # checkov:skip=CKV2_AWS_57:Rotation of the oms user needs a rotation Lambda in the VPC (AWS SecretsManagerMongoDBRotationSingleUser); set it up with the oms user (docs/DEPLOYMENT.md)
  name        = var.connection_secret_name
  description = "DocumentDB connection of the OMS (${var.name})"
  kms_key_id  = var.secrets_kms_key_arn
  tags        = var.tags
}

resource "aws_secretsmanager_secret_version" "connection" {
  secret_id = aws_secretsmanager_secret.connection.id
  secret_string = jsonencode({
    username = aws_docdb_cluster.this.master_username
    password = random_password.master.result
    endpoint = aws_docdb_cluster.this.endpoint
    port     = tostring(aws_docdb_cluster.this.port)
  })

  lifecycle {
    # After the switch to the `oms` user the secret is managed by hand (or by rotation).
    ignore_changes = [secret_string]
  }
}
