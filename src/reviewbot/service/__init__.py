"""The webhook service: a GitHub App receiver, a durable job queue, workers and the history.

`reviewbot serve` runs the FastAPI app (`app.create_app`) with embedded worker threads
(`worker.WorkerPool`) on a SQLAlchemy database (`store`), SQLite in WAL mode by default.
"""
