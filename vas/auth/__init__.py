"""Signing in and out, registration and the language switch."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from vas.auth import views  # noqa: E402,F401  (registers the routes)
