"""The audit bundle's standalone verifier (verify.py, shipped verbatim in every bundle)."""
