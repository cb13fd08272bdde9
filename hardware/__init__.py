"""Board and radio profiles, and ``virtual/``: a physically plausible home served over real protocols."""
