"""Application settings, read from the environment (and `.env` in development)."""

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class DatabaseSettings(BaseSettings):
    """What the migrations need: the database URL and nothing else."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = "sqlite:///./blog.db"


class Settings(DatabaseSettings):
    """Every tunable of the service; see `.env.example` for the variables."""

    app_name: str = "Blog API"
    environment: Literal["development", "test", "production"] = "development"
    log_level: LogLevel = "INFO"

    # No default: the service refuses to start without a secret of its own.
    jwt_secret_key: SecretStr = Field(min_length=32)
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    access_token_expire_minutes: int = Field(default=30, ge=1, le=1440)

    # Browsers may call the API only from these origins (JSON list in the environment).
    cors_origins: list[str] = Field(default_factory=list)

    login_rate_limit: int = Field(default=5, ge=1)
    login_rate_window_seconds: int = Field(default=60, ge=1)

    quotes_api_url: str = "https://api.quotable.io/random"
    http_timeout_seconds: float = Field(default=5.0, gt=0, le=30)
