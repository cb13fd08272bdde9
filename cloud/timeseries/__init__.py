"""Time series: VEN telemetry (raw and 15-minute aggregates) and flexibility offers."""
