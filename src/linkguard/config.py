"""Settings from the environment (``LINKGUARD_*`` and the usual ``NEO4J_*`` variables).

Secrets come only from the environment; nothing here is ever written to an output file.
"""

from __future__ import annotations

import logging
import warnings
from functools import lru_cache

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEV_PEPPER", "Neo4jSettings", "Settings", "get_settings", "pepper_bytes"]

log = logging.getLogger(__name__)

#: Development key for pseudonymising identifiers when ``LINKGUARD_PEPPER`` is unset.
#: Hashes made with it are reproducible by anyone who reads this file: never use it in production.
DEV_PEPPER = "linkguard-development-pepper-not-secret"


class Settings(BaseSettings):
    """linkguard's own settings, read from ``LINKGUARD_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="LINKGUARD_", extra="ignore")

    pepper: SecretStr | None = None
    api_tokens: SecretStr | None = None


class Neo4jSettings(BaseSettings):
    """Where the Neo4j server is; the names Neo4j's own tools use."""

    model_config = SettingsConfigDict(extra="ignore")

    uri: str = Field("bolt://localhost:7687", validation_alias="NEO4J_URI")
    user: str = Field("neo4j", validation_alias=AliasChoices("NEO4J_USER", "NEO4J_USERNAME"))
    password: SecretStr = Field(SecretStr(""), validation_alias="NEO4J_PASSWORD")
    database: str = Field("neo4j", validation_alias="NEO4J_DATABASE")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


class DevPepperWarning(UserWarning):
    """The built-in development key is in use: hashes are not secret."""


def pepper_bytes(settings: Settings | None = None) -> bytes:
    """The key for pseudonymising identifier values.

    Falls back to :data:`DEV_PEPPER` with a loud warning when ``LINKGUARD_PEPPER`` is unset.
    """
    settings = settings or get_settings()
    if settings.pepper is None or not settings.pepper.get_secret_value():
        warnings.warn(
            "LINKGUARD_PEPPER is not set: identifiers are hashed with the built-in development "
            "key, so their hashes can be reversed by guessing. Set LINKGUARD_PEPPER in production.",
            DevPepperWarning,
            stacklevel=2,
        )
        return DEV_PEPPER.encode()
    return settings.pepper.get_secret_value().encode()
