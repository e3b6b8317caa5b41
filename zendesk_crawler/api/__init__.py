"""Zendesk vocabulary: reading API answers, timestamps, the JSON codec."""
