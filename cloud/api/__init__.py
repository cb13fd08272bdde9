"""REST API infrastructure of the cloud: access declarations shared by every ``/api/v1`` route.

Routes themselves live with their component (``cloud/<component>/api.py``); the request
machinery is ``flexcoop.httpapi``, shared with the OSB's local API.
"""
