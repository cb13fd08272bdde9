"""The thin cloud: VTN, DER registry, marketplace, GDEM, auth, REST API and portal."""
