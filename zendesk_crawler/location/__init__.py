"""Where a run writes: local and S3 paths, atomic local writes, the S3 client."""
