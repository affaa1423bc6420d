"""Settings from ``ERPSYNC_*`` environment variables and an optional TOML file.

Nothing here is read at import time: :func:`load_settings` builds a :class:`Settings` when the
application starts, and an invalid value stops start-up with a message naming the setting.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, PositiveFloat, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from erpsync.domain.types import SyncType
from erpsync.errors import ConfigurationError

CONFIG_FILE_ENV = "ERPSYNC_CONFIG"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ERPSYNC_", extra="forbid", frozen=True)

    database_url: str = Field(
        "sqlite:///data/erpsync.db", description="SQLAlchemy URL: sqlite:///… or postgresql://…"
    )
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    erp_url: str | None = Field(
        None, description="Base URL of the ERP source; unset = start the embedded demo ERP"
    )
    erp_token: SecretStr = SecretStr("demo-token")
    erp_timeout_s: float = Field(30.0, gt=0, le=600)
    erp_retry_attempts: int = Field(4, ge=1, le=20)
    erp_write_timeout_s: float = Field(
        15.0,
        gt=0,
        le=600,
        description="an order's answer taking longer is taken as lost: the same key goes again",
    )
    outbox_poll_s: float = Field(
        30.0, gt=0, le=3600, description="the orchestrator looks for orders to send this often"
    )
    sync_overlap_s: float = Field(60.0, ge=0, le=86400)

    scheduler: bool = Field(True, description="run the staggered schedule")
    hydrate_on_start: bool | None = Field(
        None, description="a start syncs every empty type at once; unset = with the scheduler"
    )
    session_lease_s: float = Field(45.0, gt=0, le=3600)
    safety_timeout_s: float = Field(600.0, gt=0, le=86400)
    max_run_time_s: float = Field(900.0, gt=0, le=86400)
    max_run_time_by_type_s: dict[SyncType, PositiveFloat] = Field(
        default_factory=dict, description="per-type watchdog limits, e.g. {products = 1800}"
    )
    smart_sync_answer_s: float = Field(
        5.0, gt=0, le=300, description="an order form gets the smart sync's answer within this"
    )
    page_deadline_s: float = Field(
        30.0, gt=0, le=3600, description="a page of the ERP taking longer is reported as a hang"
    )
    starvation_budget_intervals: float = Field(
        2.0, gt=0, le=1000, description="a type held back by open forms this many intervals runs"
    )
    role_lease_s: float = Field(
        15.0, ge=2, le=600, description="how long the orchestrator role outlives its holder"
    )
    full_sync_every_h: float = Field(24.0, gt=0, le=24 * 30)
    run_history_days: int = Field(
        30, ge=0, le=3650, description="runs started longer ago are deleted; 0: kept forever"
    )
    worker_threads: int = Field(
        4, ge=1, le=256, description="threads the routes' database work runs on at once"
    )

    demo_erp_host: str = "127.0.0.1"
    demo_erp_port: int = Field(8765, ge=1, le=65535)
    demo_erp_profile: Literal["realistic", "instant"] = "realistic"
    demo_erp_seed: int = 7
    demo_erp_ticker_s: float | None = Field(
        60.0, gt=0, description="the demo ERP changes a few records this often; 0 or off: never"
    )

    data_dir: Path = Field(Path("data"), description="folder for files erpsync generates")
    session_secret: SecretStr | None = Field(
        None, description="signs session cookies; unset = generated once into data_dir"
    )
    session_max_age_s: int = Field(12 * 3600, ge=60, le=90 * 86400)
    cookie_secure: bool = Field(False, description="send the session cookie over HTTPS only")
    trusted_origins: tuple[str, ...] = Field(
        (), description="other origins (scheme://host:port) allowed to post, e.g. a proxy's"
    )
    demo_users: bool | None = Field(
        None, description="create the demo agent and admin; unset = with the embedded demo ERP"
    )
    price_list: str = Field("L01", description="the price list the order form proposes")
    max_body_bytes: int = Field(
        1024 * 1024, ge=1024, le=64 * 1024 * 1024, description="larger request bodies: 413"
    )
    metrics_token: SecretStr | None = Field(
        None, description="a bearer token that may read /metrics (besides an admin)"
    )

    @field_validator("demo_erp_ticker_s", mode="before")
    @classmethod
    def _never_ticks(cls, value: object) -> object:
        """``0``, ``off``, ``none`` or an empty value turn the demo ERP's ticker off."""
        if isinstance(value, str) and value.strip().lower() in ("", "0", "off", "none", "never"):
            return None
        if isinstance(value, int | float) and not isinstance(value, bool) and value == 0:
            return None
        return value

    @property
    def embedded_demo_erp(self) -> bool:
        return self.erp_url is None

    @property
    def demo_users_enabled(self) -> bool:
        return self.embedded_demo_erp if self.demo_users is None else self.demo_users

    @property
    def hydrates_on_start(self) -> bool:
        return self.scheduler if self.hydrate_on_start is None else self.hydrate_on_start

    @property
    def run_history(self) -> timedelta | None:
        """How long runs are kept (``None``: for ever)."""
        return timedelta(days=self.run_history_days) if self.run_history_days else None

    @property
    def effective_erp_url(self) -> str:
        return self.erp_url or f"http://{self.demo_erp_host}:{self.demo_erp_port}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get(CONFIG_FILE_ENV)
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)))
        return tuple(sources)


def load_settings(**overrides: object) -> Settings:
    """Read the settings, or raise :class:`ConfigurationError` saying what is wrong."""
    config_file = os.environ.get(CONFIG_FILE_ENV)
    if config_file and not Path(config_file).is_file():
        raise ConfigurationError(f"{CONFIG_FILE_ENV}={config_file}: no such file")
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigurationError(f"invalid settings: {problems}") from None
    except ValueError as exc:
        raise ConfigurationError(f"invalid settings: {exc}") from None
