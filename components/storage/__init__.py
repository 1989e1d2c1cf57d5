"""Shared building blocks for S3: the hardened bucket and its policies."""
