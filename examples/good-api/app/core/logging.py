"""Logging is configured here, once, when the application is created."""

import logging.config

from app.core.config import LogLevel


def configure_logging(level: LogLevel) -> None:
    """Send every logger's records to stderr in one plain, greppable format."""
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
            },
            "handlers": {
                "stderr": {"class": "logging.StreamHandler", "formatter": "plain"},
            },
            "root": {"level": level, "handlers": ["stderr"]},
            "loggers": {
                # uvicorn installs handlers of its own; send its records through ours.
                "uvicorn": {"handlers": [], "propagate": True},
                "uvicorn.access": {"handlers": [], "propagate": True},
            },
        }
    )
