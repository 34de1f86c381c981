"""The audit trail: the stored hash chain read back and verified, and the audit bundle."""
