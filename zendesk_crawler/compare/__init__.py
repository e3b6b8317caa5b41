"""Compare two backup locations: what changed between two backups of one account, or how faithful a restore is."""
