output "bucket" {
  description = "Dashboard bucket (aws s3 sync frontend/dist s3://<bucket>/ --delete)."
  value       = aws_s3_bucket.dashboard.id
}

output "distribution_id" {
  description = "CloudFront distribution (aws cloudfront create-invalidation --distribution-id ...)."
  value       = aws_cloudfront_distribution.dashboard.id
}

output "distribution_domain_name" {
  description = "CloudFront domain of the dashboard (CNAME target of the aliases)."
  value       = aws_cloudfront_distribution.dashboard.domain_name
}
