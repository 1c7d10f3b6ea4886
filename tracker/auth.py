"""Blueprint ``auth``: staff login and logout (issue 4)."""

from flask import Blueprint

bp = Blueprint("auth", __name__)
