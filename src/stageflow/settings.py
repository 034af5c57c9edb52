"""Deployment settings, read from the environment (STAGEFLOW_*), with working defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    sender: str = "stageflow@localhost"
    timeout: float = 10.0
    ca_file: str | None = None  # a CA bundle to trust for STARTTLS (default: the system's)


@dataclass(frozen=True)
class Settings:
    base_url: str = "http://localhost:8000"  # links in emails point here
    emails_enabled: bool = True
    templates: Path | None = None  # a folder whose templates override the built-in ones
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    secret_key: str = "change-me"  # signs session cookies

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ.get
        templates = env("STAGEFLOW_TEMPLATES")
        return cls(
            base_url=env("STAGEFLOW_BASE_URL", cls.base_url).rstrip("/"),
            emails_enabled=_flag("STAGEFLOW_EMAILS", True),
            templates=Path(templates) if templates else None,
            smtp=SmtpSettings(
                host=env("STAGEFLOW_SMTP_HOST", SmtpSettings.host),
                port=int(env("STAGEFLOW_SMTP_PORT", str(SmtpSettings.port))),
                starttls=_flag("STAGEFLOW_SMTP_STARTTLS", False),
                username=env("STAGEFLOW_SMTP_USERNAME") or None,
                password=env("STAGEFLOW_SMTP_PASSWORD") or None,
                sender=env("STAGEFLOW_SMTP_FROM", SmtpSettings.sender),
                timeout=float(env("STAGEFLOW_SMTP_TIMEOUT", str(SmtpSettings.timeout))),
                ca_file=env("STAGEFLOW_SMTP_CA_FILE") or None,
            ),
            secret_key=env("STAGEFLOW_SECRET_KEY", cls.secret_key),
        )
