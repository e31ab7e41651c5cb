"""The HTTP API and the portal: FastAPI routers per resource, login by client
certificate or token (auth.py), error mapping and metrics (app.py), the portal's pages."""
