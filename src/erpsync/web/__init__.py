"""The thin web layer: FastAPI routers and server-rendered pages."""
