"""Auditor's tools: replay, export, and a tamper-evident seal over the event log."""
