"""One route per module."""
