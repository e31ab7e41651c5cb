"""Read models: projections of the event store (DESIGN.md section 4)."""
