"""Wallets: users, the offers issued to them, their redemption windows and history, the reward store."""
