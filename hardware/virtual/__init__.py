"""Physical simulators of a home (thermal RC, heat pump, DHW, PV, battery, EV, meter)."""
