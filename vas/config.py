"""Configuration read from the environment when the app is created.

Nothing here runs at import time: ``load_config`` is called by ``create_app``
so tests and the CLI can build apps with different settings in one process.
"""

import os
import secrets
from pathlib import Path


class ConfigError(RuntimeError):
    """The environment does not describe a runnable app."""


def _flag(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _dev_secret_key(instance_path: Path) -> str:
    """Return the development secret key, created once in the instance folder."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()

    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load_config(instance_path: str, environ: dict[str, str] | None = None) -> dict:
    """Build the Flask config mapping from ``VAS_*`` environment variables."""
    env = os.environ if environ is None else environ
    instance = Path(instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    production = env.get("VAS_ENV", "development") == "production"

    secret = env.get("VAS_SECRET_KEY", "")
    if not secret:
        if production:
            raise ConfigError("VAS_SECRET_KEY must be set when VAS_ENV=production")
        secret = _dev_secret_key(instance)

    database_url = env.get("VAS_DATABASE_URL") or f"sqlite:///{instance / 'vas.db'}"

    return {
        "VAS_ENV": "production" if production else "development",
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "VAS_SQLITE_BUSY_TIMEOUT": int(env.get("VAS_SQLITE_BUSY_TIMEOUT", "15")),
        "RATELIMIT_STORAGE_URI": env.get("VAS_RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _flag(env.get("VAS_RATELIMIT_ENABLED"), True),
        "VAS_LOGIN_LIMIT": env.get("VAS_LOGIN_LIMIT", "10 per minute; 50 per hour"),
        "VAS_PAYMENT_SECRET": env.get("VAS_PAYMENT_SECRET") or secret,
        "VAS_LOG_LEVEL": env.get("VAS_LOG_LEVEL", "INFO"),
        # Mail to customers: SMTP when a host is set, else .eml files in a
        # folder when one is set, else one log line per mail.
        "VAS_MAIL_FROM": env.get("VAS_MAIL_FROM", "VAS <noreply@localhost>"),
        "VAS_SMTP_HOST": env.get("VAS_SMTP_HOST", ""),
        "VAS_SMTP_PORT": int(env.get("VAS_SMTP_PORT", "587")),
        "VAS_SMTP_STARTTLS": _flag(env.get("VAS_SMTP_STARTTLS"), True),
        "VAS_SMTP_USER": env.get("VAS_SMTP_USER", ""),
        "VAS_SMTP_PASSWORD": env.get("VAS_SMTP_PASSWORD", ""),
        "VAS_MAIL_FOLDER": env.get("VAS_MAIL_FOLDER", ""),
        # werkzeug hash method for new passwords; only tests lower its cost.
        "VAS_PASSWORD_HASH": "scrypt",
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": env.get("VAS_TIMEZONE", "Asia/Shanghai"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_NAME": "vas_session",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_DURATION": 14 * 24 * 3600,
        "PERMANENT_SESSION_LIFETIME": 12 * 3600,
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": production,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
    }
