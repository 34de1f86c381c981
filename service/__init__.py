"""The composition root: configuration, the ledger application, the web API and the CLI."""
