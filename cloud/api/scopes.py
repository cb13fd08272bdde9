"""OAuth2 scopes of the cloud REST API: one read and one write scope per resource family."""

from __future__ import annotations

from flexcoop.httpapi import Access

REGISTRY_READ = "registry:read"
REGISTRY_WRITE = "registry:write"
TIMESERIES_READ = "timeseries:read"
TIMESERIES_WRITE = "timeseries:write"
CONTRACTS_READ = "contracts:read"
CONTRACTS_WRITE = "contracts:write"

ALL_SCOPES = (
    REGISTRY_READ,
    REGISTRY_WRITE,
    TIMESERIES_READ,
    TIMESERIES_WRITE,
    CONTRACTS_READ,
    CONTRACTS_WRITE,
)


def der_access(*scopes: str, param: str = "der_id") -> Access:
    """Access to one DER named by a path parameter: the scopes plus that DER in the token."""
    return Access(scopes=scopes, resource_param=param)
