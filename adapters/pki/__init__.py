"""X.509: the card CA (certificates in the UZI pass's shape, the CRL), and parsing and
validating UZI pass certificates."""
