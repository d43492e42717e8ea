"""Loyalty: point accounts, balances and their ledger; earn and issuance rules (the engine); the catalog."""
