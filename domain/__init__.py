"""The ZORG-ID Smartcard domain: aggregates, events, rules and the application.

Imports only the standard library and `eventsourcing` (docs/architecture.md, section 2).
"""
