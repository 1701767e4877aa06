"""Reflex states, one module per concern. States stay thin: they call the engine and hold view data."""
