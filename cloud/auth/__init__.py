"""Authorization hooks for the cloud REST API: bearer JWTs, scopes and per-DER access.

The full OAuth2/OIDC server and CA come with the security work; this package only verifies
tokens it did not issue and decides whether a verified caller may use a route.
"""
