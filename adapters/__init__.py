"""Adapters: the outside world (store settings, CLI, reader, PKI, HTTP, Kafka)."""
