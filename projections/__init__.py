"""Read models: projections of the event store (docs/architecture.md, section 1)."""
