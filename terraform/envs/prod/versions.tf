terraform {
  required_version = ">= 1.6.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.80.0, < 6.0.0"
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.6.0, < 4.0.0"
    }
  }

  # Remote state in S3 (versioned, KMS-encrypted) with a DynamoDB lock table; the bucket, table
  # and key come from backend.hcl (see backend.hcl.example): terraform init -backend-config=backend.hcl
  backend "s3" {
    key     = "oms/prod/terraform.tfstate"
    encrypt = true
  }
}
