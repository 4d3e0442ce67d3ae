"""The Order Ingestion API: signed REST and a WebSocket stream on Starlette, served by granian.

``api.app.create_app`` builds the ASGI app; ``docs/API.md`` describes what it answers.
"""
