"""The OSB daemon: runtime, device registry, bus, store, VEN and (later) DFP, LDEM and web app."""
