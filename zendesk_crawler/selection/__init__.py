"""The ways to ask for less than a backup: a ticket filter (search) and one person's export."""
