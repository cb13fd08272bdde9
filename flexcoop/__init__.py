"""flexcoop: open firmware (the OSB) and a thin cloud for an energy cooperative's virtual power plant."""

__version__ = "0.1.0"
