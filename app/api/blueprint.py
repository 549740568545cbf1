"""The API's blueprint, shared by the modules that each add one part of the API."""

from flask import Blueprint

from app.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Cookie-less: staff authenticate with a bearer token, the public endpoints need nothing.
csrf.exempt(bp)
