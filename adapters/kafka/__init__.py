"""Kafka: the relay from the event log to a topic, and consumers that build views or
billing totals from it."""
