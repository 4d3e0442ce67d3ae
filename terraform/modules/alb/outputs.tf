output "security_group_id" {
  description = "Security group for the Ingress annotation alb.ingress.kubernetes.io/security-groups."
  value       = aws_security_group.alb.id
}

output "certificate_arn" {
  description = "Validated ACM certificate for alb.ingress.kubernetes.io/certificate-arn."
  value       = aws_acm_certificate_validation.api.certificate_arn
}

output "waf_acl_arn" {
  description = "WAFv2 web ACL for alb.ingress.kubernetes.io/wafv2-acl-arn."
  value       = aws_wafv2_web_acl.api.arn
}

output "logs_bucket" {
  description = "Bucket of the ALB access logs (prefix api/) for the load-balancer-attributes annotation."
  value       = aws_s3_bucket.logs.id
}
