"""Point of sale: lookup, lock, unlock, redeem, reinstate, send_transaction (API.md sections 5 and 6)."""
