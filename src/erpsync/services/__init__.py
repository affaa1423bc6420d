"""Services wire the pure domain to the ports."""
