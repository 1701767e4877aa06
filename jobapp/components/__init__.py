"""Building blocks that never import app state: pages pass the vars and events in."""
