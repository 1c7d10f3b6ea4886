"""Blueprint ``manage``: the staff workspace (issue 4)."""

from flask import Blueprint

bp = Blueprint("manage", __name__)
