"""Writing a backup into an account: what is restored in which order, the id map, the markers, the uploads."""
