# The prod environment: all eight modules. Sizes are the ones priced in docs/DEPLOYMENT.md
# (cost table) and in README.md beside this file.

provider "aws" {
  region = var.region

  default_tags {
    tags = merge(var.tags, {
      Project     = "oms"
      Environment = "prod"
      ManagedBy   = "terraform"
    })
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  name                = "oms-prod"
  secrets_prefix      = "oms/prod/"
  secrets_arn_prefix  = "arn:${data.aws_partition.current.partition}:secretsmanager:${var.region}:${data.aws_caller_identity.current.account_id}:secret:${local.secrets_prefix}"
  log_retention_days  = 365
  deletion_protection = true
}

module "kms" {
  source = "../../modules/kms"

  name = local.name
}

module "vpc" {
  source = "../../modules/vpc"

  name                     = local.name
  cidr                     = var.vpc_cidr
  azs                      = var.azs
  single_nat_gateway       = false
  cluster_name             = local.name
  flow_logs_kms_key_arn    = module.kms.key_arns["logs"]
  flow_logs_retention_days = local.log_retention_days
}

module "eks" {
  source = "../../modules/eks"

  name                 = local.name
  kubernetes_version   = "1.34"
  vpc_id               = module.vpc.vpc_id
  subnet_ids           = module.vpc.app_subnet_ids
  public_access_cidrs  = var.eks_public_access_cidrs
  node_instance_types  = ["m6i.xlarge"]
  node_count           = { desired = 3, min = 3, max = 6 }
  secrets_kms_key_arn  = module.kms.key_arns["eks"]
  logs_kms_key_arn     = module.kms.key_arns["logs"]
  log_retention_days   = local.log_retention_days
  admin_role_arns      = var.admin_role_arns
  namespace            = "oms"
  secrets_arn_prefix   = local.secrets_arn_prefix
  secrets_kms_key_arns = [module.kms.key_arns["secrets"]]
  ecr_kms_key_arn      = module.kms.key_arns["s3"]
}

module "msk" {
  source = "../../modules/msk"

  name                      = local.name
  kafka_version             = "3.9.x.kraft"
  broker_instance_type      = "kafka.m7g.large"
  broker_count              = 3
  broker_volume_gib         = 100
  replication_factor        = 3
  partitions                = 6
  vpc_id                    = module.vpc.vpc_id
  subnet_ids                = module.vpc.data_subnet_ids
  client_security_group_ids = [module.eks.cluster_security_group_id]
  kms_key_arn               = module.kms.key_arns["msk"]
  secrets_kms_key_arn       = module.kms.key_arns["secrets"]
  logs_kms_key_arn          = module.kms.key_arns["logs"]
  log_retention_days        = local.log_retention_days
  connection_secret_name    = "${local.secrets_prefix}msk"
}

module "redis" {
  source = "../../modules/redis"

  name                      = local.name
  node_type                 = "cache.m7g.large"
  replicas                  = 1
  vpc_id                    = module.vpc.vpc_id
  subnet_ids                = module.vpc.data_subnet_ids
  client_security_group_ids = [module.eks.cluster_security_group_id]
  kms_key_arn               = module.kms.key_arns["redis"]
  secrets_kms_key_arn       = module.kms.key_arns["secrets"]
  logs_kms_key_arn          = module.kms.key_arns["logs"]
  connection_secret_name    = "${local.secrets_prefix}redis"
}

module "documentdb" {
  source = "../../modules/documentdb"

  name                      = local.name
  instance_class            = "db.r6g.large"
  instance_count            = 2
  vpc_id                    = module.vpc.vpc_id
  subnet_ids                = module.vpc.data_subnet_ids
  client_security_group_ids = [module.eks.cluster_security_group_id]
  kms_key_arn               = module.kms.key_arns["documentdb"]
  secrets_kms_key_arn       = module.kms.key_arns["secrets"]
  backup_retention_days     = 14
  deletion_protection       = local.deletion_protection
  connection_secret_name    = "${local.secrets_prefix}documentdb"
}

module "alb" {
  source = "../../modules/alb"

  name                = local.name
  vpc_id              = module.vpc.vpc_id
  vpc_cidr            = module.vpc.vpc_cidr
  domain_name         = var.api_domain_name
  route53_zone_id     = var.route53_zone_id
  allowed_cidrs       = var.api_allowed_cidrs
  logs_retention_days = local.log_retention_days
  logs_kms_key_arn    = module.kms.key_arns["logs"]
  force_destroy_logs  = !local.deletion_protection
}

module "s3" {
  source = "../../modules/s3"

  name          = local.name
  kms_key_arn   = module.kms.key_arns["s3"]
  force_destroy = !local.deletion_protection
}

# The accounts file (API keys and secrets) is not generated here: an operator puts it in this
# secret (docs/DEPLOYMENT.md); Terraform only creates the empty, encrypted container.
resource "aws_secretsmanager_secret" "accounts" {
  # checkov:skip=CKV2_AWS_57:API keys and secrets of trading accounts are issued to clients and changed with them, not on a timer
  name        = "${local.secrets_prefix}accounts"
  description = "OMS accounts.toml (API keys and secrets) for prod"
  kms_key_id  = module.kms.key_arns["secrets"]
}
