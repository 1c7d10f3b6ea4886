"""Pure formats: CSV tables, cell escaping and reading, the data package, the API's response models.

Nothing here imports SQLModel or touches a request."""
