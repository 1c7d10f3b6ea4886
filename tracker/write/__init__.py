"""The write layer: the one write path (versions, history, the transaction), checklist save, import."""
