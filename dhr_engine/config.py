"""Settings, read from the environment (prefix DHR_); nothing connects on import."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The built-in key: fine for tests and the demo, never for a server with real data (`dhr serve`
# refuses it unless development mode is explicit: DHR_DEV_MODE=1 or `dhr serve --dev`).
DEV_SECRET_KEY = "dev-only-change-me-0123456789abcdef0123456789"
MIN_SECRET_KEY_LENGTH = 32
MB = 1024 * 1024
# The built-in audit key: the tests and the demo sign their audit trail with it; a server with real
# data sets its own, kept outside the database (audit_key_problem says why one may not start).
DEV_AUDIT_KEY = "dev-only-audit-key-change-me-0123456789abcdef"
MIN_AUDIT_KEY_LENGTH = 32


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
    secret_key: str = Field(
        default=DEV_SECRET_KEY,
        description="Signs tokens and session cookies; `dhr serve` needs your own (32+ characters)",
    )
    dev_mode: bool = Field(
        default=False, description="Development or demo: `dhr serve` may run with the built-in or a short key"
    )
    secure_cookies: bool = Field(
        default=False, description="Mark the session cookie Secure (set it when served over HTTPS)"
    )
    max_json_bytes: int = Field(
        default=1 * MB, ge=1, description="Largest request body that is not multipart/form-data"
    )
    max_upload_bytes: int = Field(
        default=25 * MB, ge=1, description="Largest multipart/form-data body (file uploads)"
    )
    token_minutes: int = Field(default=30, ge=1, le=24 * 60)
    trusted_proxies: str = Field(
        default="",
        description="Reverse proxies whose X-Forwarded-For is believed: comma-separated addresses or "
        "networks (e.g. 10.0.0.5, 192.168.1.0/24); empty: the client is the connection's own address",
    )
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
    audit_key: SecretStr | None = Field(
        default=None,
        description="Signs the audit trail and its checkpoints (32+ characters); kept out of the database",
    )
    audit_key_file: Path | None = Field(
        default=None, description="A file holding the audit key, instead of DHR_AUDIT_KEY"
    )
    audit_checkpoints: Path | None = Field(
        default=None,
        description="The append-only file of signed audit checkpoints (default: in the storage folder)",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip():
                try:
                    ipaddress.ip_network(part.strip(), strict=False)
                except ValueError:
                    raise ValueError(f"'{part.strip()}' is not an IP address or network") from None
        return value

    @field_validator("holiday_subdivision")
    @classmethod
    def _known_subdivision(cls, value: str) -> str:
        if value not in {"ENG", "WLS"}:
            raise ValueError("must be ENG or WLS (England and Wales bank holidays)")
        return value


def audit_key(settings: Settings) -> bytes:
    """The key of the audit trail's HMACs: the content of DHR_AUDIT_KEY_FILE, else DHR_AUDIT_KEY,
    else the built-in development key (which `audit_key_problem` refuses outside development).

    Checked here rather than by a validator of the settings, whose error would quote the key.
    """
    if settings.audit_key is not None and settings.audit_key_file is not None:
        raise ValueError("audit_key: set DHR_AUDIT_KEY or DHR_AUDIT_KEY_FILE, not both")
    if settings.audit_key_file is not None:
        try:
            text = settings.audit_key_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as err:
            raise ValueError(f"audit_key_file: the key file cannot be read ({type(err).__name__})") from None
        if len(text) < MIN_AUDIT_KEY_LENGTH:
            raise ValueError(
                f"audit_key_file: the key in the file must be at least {MIN_AUDIT_KEY_LENGTH} characters"
            )
        return text.encode()
    if settings.audit_key is not None:
        key = settings.audit_key.get_secret_value()
        if len(key) < MIN_AUDIT_KEY_LENGTH:
            raise ValueError(f"audit_key: DHR_AUDIT_KEY must be at least {MIN_AUDIT_KEY_LENGTH} characters")
        return key.encode()
    return DEV_AUDIT_KEY.encode()


def audit_key_problem(settings: Settings, *, dev: bool = False) -> str | None:
    """Why a server may not run with this audit key, in one line; None when it may.

    The built-in key is in the source code: anyone who can read it and write to the database can
    rewrite the audit trail and sign it again. It is refused unless development mode is explicit
    (DHR_DEV_MODE=1, or `dev=True` for `dhr serve --dev`). Call it where `dhr serve` (and any
    long-running process with real data) checks its secret key.
    """
    built_in = settings.audit_key_file is None and (
        settings.audit_key is None or settings.audit_key.get_secret_value() == DEV_AUDIT_KEY
    )
    if not built_in or dev or settings.dev_mode:
        return None
    return (
        "the audit key is not set (DHR_AUDIT_KEY or DHR_AUDIT_KEY_FILE), so the audit trail would be "
        "signed with the built-in development key, which anyone may read. Set DHR_AUDIT_KEY to a new "
        f"random key of at least {MIN_AUDIT_KEY_LENGTH} characters, kept outside the database"
    )


def audit_checkpoint_path(settings: Settings) -> Path:
    """Where the signed checkpoints of every case's audit head are appended."""
    return settings.audit_checkpoints or settings.storage_dir / "audit" / "checkpoints.jsonl"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read once from the environment."""
    return Settings()
