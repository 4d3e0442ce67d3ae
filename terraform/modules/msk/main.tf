# Kafka for the OMS: TLS between clients and brokers and between brokers, SASL/SCRAM
# authentication (aiokafka has no IAM auth), encryption at rest with a customer key, topics only
# created by the OMS (auto-create off), acks=all meaning two AZs (min.insync.replicas=2).

resource "aws_security_group" "this" {
  name        = "${var.name}-msk"
  description = "MSK brokers of ${var.name}: SASL/SCRAM over TLS from the EKS cluster only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-msk" })
}

resource "aws_vpc_security_group_ingress_rule" "scram_tls" {
  # count, not for_each: the ids are known only after apply (the EKS cluster makes its group).
  count = length(var.client_security_group_ids)

  security_group_id            = aws_security_group.this.id
  description                  = "Kafka SASL/SCRAM over TLS from ${var.client_security_group_ids[count.index]}"
  referenced_security_group_id = var.client_security_group_ids[count.index]
  ip_protocol                  = "tcp"
  from_port                    = 9096
  to_port                      = 9096
}

# Brokers talk to each other (replication) on their own security group.
resource "aws_vpc_security_group_ingress_rule" "brokers" {
  security_group_id            = aws_security_group.this.id
  description                  = "Broker to broker"
  referenced_security_group_id = aws_security_group.this.id
  ip_protocol                  = "tcp"
  from_port                    = 9092
  to_port                      = 9098
}

resource "aws_vpc_security_group_egress_rule" "brokers" {
  security_group_id            = aws_security_group.this.id
  description                  = "Broker to broker"
  referenced_security_group_id = aws_security_group.this.id
  ip_protocol                  = "tcp"
  from_port                    = 9092
  to_port                      = 9098
}

resource "aws_msk_configuration" "this" {
  name           = "${var.name}-oms"
  kafka_versions = [var.kafka_version]
  server_properties = join("\n", [
    "auto.create.topics.enable=false",
    "default.replication.factor=${var.replication_factor}",
    "min.insync.replicas=${var.replication_factor - 1}",
    "unclean.leader.election.enable=false",
    "num.partitions=${var.partitions}",
    "log.retention.hours=168",
  ])
}

resource "aws_cloudwatch_log_group" "brokers" {
  name              = "/aws/msk/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

resource "aws_msk_cluster" "this" {
  cluster_name           = var.name
  kafka_version          = var.kafka_version
  number_of_broker_nodes = var.broker_count
  enhanced_monitoring    = "PER_TOPIC_PER_BROKER"

  broker_node_group_info {
    instance_type   = var.broker_instance_type
    client_subnets  = var.subnet_ids
    security_groups = [aws_security_group.this.id]
    storage_info {
      ebs_storage_info {
        volume_size = var.broker_volume_gib
      }
    }
  }

  configuration_info {
    arn      = aws_msk_configuration.this.arn
    revision = aws_msk_configuration.this.latest_revision
  }

  client_authentication {
    unauthenticated = false
    sasl {
      scram = true
      iam   = false
    }
  }

  encryption_info {
    encryption_at_rest_kms_key_arn = var.kms_key_arn
    encryption_in_transit {
      client_broker = "TLS"
      in_cluster    = true
    }
  }

  open_monitoring {
    prometheus {
      jmx_exporter {
        enabled_in_broker = true
      }
      node_exporter {
        enabled_in_broker = true
      }
    }
  }

  logging_info {
    broker_logs {
      cloudwatch_logs {
        enabled   = true
        log_group = aws_cloudwatch_log_group.brokers.name
      }
    }
  }

  tags = var.tags
}

# The SCRAM user of the OMS: MSK reads it from a secret named AmazonMSK_*, encrypted with a
# customer key. The password is generated here and lives only in Secrets Manager and in the
# (encrypted) Terraform state.
resource "random_password" "scram" {
  length  = 40
  special = false
}

resource "aws_secretsmanager_secret" "scram" {
  # checkov:skip=CKV2_AWS_57:MSK SCRAM passwords have no managed rotation; rotate by replacing random_password.scram (terraform apply -replace), then roll the pods (docs/DEPLOYMENT.md)
  name        = "AmazonMSK_${var.name}_oms"
  description = "SASL/SCRAM credentials of the OMS on MSK ${var.name}"
  kms_key_id  = var.secrets_kms_key_arn
  tags        = var.tags
}

resource "aws_secretsmanager_secret_version" "scram" {
  secret_id = aws_secretsmanager_secret.scram.id
  secret_string = jsonencode({
    username = "oms"
    password = random_password.scram.result
  })
}

resource "aws_msk_scram_secret_association" "this" {
  cluster_arn     = aws_msk_cluster.this.arn
  secret_arn_list = [aws_secretsmanager_secret.scram.arn]

  depends_on = [aws_secretsmanager_secret_version.scram]
}

# What the OMS's ExternalSecret composes OMS_BUS from (deploy/k8s/base/external-secrets.yaml).
resource "aws_secretsmanager_secret" "connection" {
  # checkov:skip=CKV2_AWS_57:Derived from the SCRAM secret and rotated with it
  name        = var.connection_secret_name
  description = "Kafka connection of the OMS (MSK ${var.name})"
  kms_key_id  = var.secrets_kms_key_arn
  tags        = var.tags
}

resource "aws_secretsmanager_secret_version" "connection" {
  secret_id = aws_secretsmanager_secret.connection.id
  secret_string = jsonencode({
    username           = "oms"
    password           = random_password.scram.result
    bootstrap          = aws_msk_cluster.this.bootstrap_brokers_sasl_scram
    partitions         = tostring(var.partitions)
    replication_factor = tostring(var.replication_factor)
  })
}
