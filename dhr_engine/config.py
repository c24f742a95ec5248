"""Settings, read from the environment (prefix DHR_); nothing connects on import."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every knob of the engine; see the configuration table in README.md."""

    model_config = SettingsConfigDict(env_prefix="DHR_", env_file=".env", extra="ignore")

    database_url: str = Field(default="sqlite:///./dhr.db", description="SQLAlchemy URL of the database")
    timezone: str = Field(default="Europe/London", description="Time zone for dates shown and computed")
    workflows_dir: Path = Field(default=PROJECT_ROOT / "workflows")
    templates_dir: Path = Field(default=PROJECT_ROOT / "templates")
    storage_dir: Path = Field(
        default=Path("./var/storage"), description="Where letters and attachments are kept"
    )
    holiday_subdivision: str = Field(default="ENG", description="UK bank-holiday subdivision: ENG or WLS")
    secret_key: str = Field(default="dev-only-change-me-0123456789abcdef0123456789", min_length=32)
    token_minutes: int = Field(default=30, ge=1, le=24 * 60)
    sql_echo: bool = False
    run_scheduler_in_process: bool = True
    worker_threads: int = Field(
        default=0, ge=0, le=200, description="Threads for sync endpoints; 0 = 1 on SQLite, 40 on PostgreSQL"
    )
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_tls: bool = False
    smtp_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Give up on an SMTP reply after this long"
    )
    smtp_username: str | None = None
    smtp_password: str | None = None
    mail_sender: str = "dhr-engine@example.invalid"
    protective_marking: str = "OFFICIAL-SENSITIVE"

    @field_validator("holiday_subdivision")
    @classmethod
    def _known_subdivision(cls, value: str) -> str:
        if value not in {"ENG", "WLS"}:
            raise ValueError("must be ENG or WLS (England and Wales bank holidays)")
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read once from the environment."""
    return Settings()
