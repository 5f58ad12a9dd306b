"""The HTTP service: models, service state, routes and the app."""

from .app import create_app, serve

__all__ = ["create_app", "serve"]
