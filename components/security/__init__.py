"""KMS keys and key policies, root credentials, IAM roles and documents, the audit baseline."""
