"""OpenOffers: a self-hostable offers and loyalty platform speaking the SessionM wire protocol."""

__version__ = "0.1.0"
