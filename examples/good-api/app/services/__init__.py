"""Business logic, independent of HTTP: routers call these with a session."""
