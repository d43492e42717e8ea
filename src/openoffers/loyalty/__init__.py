"""Loyalty: point accounts, balances and their ledger (earn and issuance rules come later)."""
