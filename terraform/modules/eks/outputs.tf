output "cluster_name" {
  description = "EKS cluster name (aws eks update-kubeconfig --name ...)."
  value       = aws_eks_cluster.this.name
}

output "cluster_endpoint" {
  description = "Kubernetes API endpoint."
  value       = aws_eks_cluster.this.endpoint
}

output "cluster_security_group_id" {
  description = "Security group EKS gives the control plane and the managed nodes: the source the data services admit."
  value       = aws_eks_cluster.this.vpc_config[0].cluster_security_group_id
}

output "oidc_provider_arn" {
  description = "IAM OIDC provider of the cluster (IRSA)."
  value       = aws_iam_openid_connect_provider.this.arn
}

output "irsa_role_arns" {
  description = "IAM role ARN per ServiceAccount: app, secrets_reader (deploy/k8s overlays), vpc_cni, alb_controller."
  value       = { for k, r in aws_iam_role.irsa : k => r.arn }
}

output "ecr_repository_url" {
  description = "ECR repository of the OMS image."
  value       = aws_ecr_repository.oms.repository_url
}
