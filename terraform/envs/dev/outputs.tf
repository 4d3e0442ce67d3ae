output "cluster_name" {
  description = "aws eks update-kubeconfig --name <this> --region <region>"
  value       = module.eks.cluster_name
}

output "ecr_repository_url" {
  description = "Where CI pushes the image (deploy/k8s/overlays/dev images.newName)."
  value       = module.eks.ecr_repository_url
}

output "irsa_role_arns" {
  description = "ServiceAccount role ARNs for deploy/k8s/overlays/dev/aws.yaml and the Helm charts."
  value       = module.eks.irsa_role_arns
}

output "vpc_cidr" {
  description = "NetworkPolicy ipBlocks in deploy/k8s/overlays/dev."
  value       = module.vpc.vpc_cidr
}

output "alb_security_group_id" {
  description = "Ingress annotation alb.ingress.kubernetes.io/security-groups."
  value       = module.alb.security_group_id
}

output "alb_certificate_arn" {
  description = "Ingress annotation alb.ingress.kubernetes.io/certificate-arn."
  value       = module.alb.certificate_arn
}

output "alb_waf_acl_arn" {
  description = "Ingress annotation alb.ingress.kubernetes.io/wafv2-acl-arn."
  value       = module.alb.waf_acl_arn
}

output "alb_logs_bucket" {
  description = "Ingress access_logs.s3.bucket attribute."
  value       = module.alb.logs_bucket
}

output "msk_bootstrap_brokers" {
  description = "SASL/SCRAM over TLS bootstrap brokers (also in the oms/dev/msk secret)."
  value       = module.msk.bootstrap_brokers_sasl_scram
}

output "redis_primary_endpoint" {
  description = "ElastiCache primary endpoint (also in the oms/dev/redis secret)."
  value       = module.redis.primary_endpoint
}

output "documentdb_endpoint" {
  description = "DocumentDB cluster endpoint (also in the oms/dev/documentdb secret)."
  value       = module.documentdb.endpoint
}

output "dashboard_bucket" {
  description = "aws s3 sync frontend/dist s3://<this>/ --delete"
  value       = module.s3.bucket
}

output "dashboard_distribution_id" {
  description = "CloudFront distribution to invalidate after an upload."
  value       = module.s3.distribution_id
}

output "dashboard_url" {
  description = "URL of the dashboard."
  value       = "https://${module.s3.distribution_domain_name}/"
}

output "accounts_secret_name" {
  description = "Secret to put accounts.toml in (aws secretsmanager put-secret-value ...)."
  value       = aws_secretsmanager_secret.accounts.name
}
