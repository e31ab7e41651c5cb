"""The ZORG-ID Smartcard domain: aggregates, events, rules R1-R13 and the application.

Imports only the standard library and `eventsourcing` (DESIGN.md section 2).
"""
