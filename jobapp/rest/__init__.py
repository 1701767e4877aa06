"""The REST API's routes (FastAPI routers), assembled and guarded in `jobapp.api`."""
