"""Blueprint ``exports``: CSV files and the data package (issue 5)."""

from flask import Blueprint

bp = Blueprint("exports", __name__)
