"""The read layer: every number a reader sees, computed once (pages, exports, API, staff views)."""
