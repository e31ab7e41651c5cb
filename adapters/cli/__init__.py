"""The `zorgid` command line, thin over the application, the views and the adapters."""
