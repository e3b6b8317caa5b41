"""Exports that are not a backup, as streams and documents: a filtered ticket export and one person's export."""
