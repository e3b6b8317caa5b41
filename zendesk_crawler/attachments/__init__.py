"""Attachment files: every comment attachment and voice recording, downloaded once into ``attachments/``."""
