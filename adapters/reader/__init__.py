"""See DESIGN.md section 5."""
