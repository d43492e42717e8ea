"""Points: accounts, balances and the ledger every change of a balance is written to."""
