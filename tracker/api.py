"""Blueprint ``api``: the read-only JSON API (issue 5)."""

from flask import Blueprint

bp = Blueprint("api", __name__)
