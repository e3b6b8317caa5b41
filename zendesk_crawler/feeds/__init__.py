"""The output side: default feeds, the checkpointing feed exporter, the JSON/XML/CSV exporters, storages."""
