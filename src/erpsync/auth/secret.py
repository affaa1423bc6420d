"""The key that signs session cookies: from the settings, or generated once and kept on disk."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from erpsync.errors import ConfigurationError
from erpsync.settings import Settings

log = logging.getLogger(__name__)

SECRET_FILE = "session-secret"
MIN_LENGTH = 32


def session_secret(settings: Settings) -> str:
    """``settings.session_secret`` if set; else the secret in ``<data_dir>/session-secret``,
    created (readable by the owner only) the first time. Keeping it on disk keeps everyone
    signed in across restarts; deleting the file signs everyone out.

    Raises:
        ConfigurationError: the configured or stored secret is too short.
    """
    if settings.session_secret is not None:
        secret = settings.session_secret.get_secret_value()
        if len(secret) < MIN_LENGTH:
            raise ConfigurationError(
                f"ERPSYNC_SESSION_SECRET must have at least {MIN_LENGTH} characters"
            )
        return secret
    path = Path(settings.data_dir) / SECRET_FILE
    if not path.exists():
        _create(path)
    secret = path.read_text(encoding="utf-8").strip()
    if len(secret) < MIN_LENGTH:
        raise ConfigurationError(f"{path}: the session secret is shorter than {MIN_LENGTH}")
    return secret


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process created it first; use theirs
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(secrets.token_urlsafe(48) + "\n")
    log.info("action=session_secret_created path=%s", path)
