"""The retailer's item catalog: items and their categories, below offers so targeting can use it."""
