"""OpenADR 2.0b VTN: EiRegisterParty, EiEvent, EiReport, EiOpt and OadrPoll over simpleHttp (pull).

``setup(app, ctx)`` (the cloud component contract) lives in ``flexcoop.cloud.vtn.http``; the
aggregator's Python API is ``flexcoop.cloud.vtn.service.VtnService``.
"""
