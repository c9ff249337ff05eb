"""ummunotify.v1: the wire contract's modules, generated from proto/ at build time (see setup.py)."""
