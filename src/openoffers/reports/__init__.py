"""Programme reports: figures over a date range in the retailer's time zone, read across the domains'
tables (like `pos.read_model`), and the CSV exports that stream them."""
