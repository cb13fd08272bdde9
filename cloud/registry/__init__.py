"""DER registry: every VEN/DER with capabilities, keep-alive status and an append-only event log."""
