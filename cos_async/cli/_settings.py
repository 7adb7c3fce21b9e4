"""Where the command line gets its keys, region and endpoint: flags, then the environment, then
a configuration file.

The keys come as a pair from the first place that has them: ``--secret-id``/``--secret-key``
(``--token``), else ``COS_SECRET_ID``/``COS_SECRET_KEY`` (``COS_TOKEN``), the variables the
client reads (:class:`cos_async.DefaultCredentials`), else the file. The region and the endpoint
are looked up the same way, each on its own: ``--region``, ``COS_REGION``, ``region =``;
``--endpoint-url``, ``COS_ENDPOINT_URL``, ``endpoint_url =``.

The file is INI text, one section per profile (``[default]`` unless ``--profile`` or
``COS_PROFILE`` names another)::

    [default]
    region = ap-guangzhou
    secret_id = AKID...
    secret_key = ...

It is ``--config PATH``, else ``$COS_ASYNC_CONFIG``, else ``$XDG_CONFIG_HOME/cos-async/config``
(``~/.config/cos-async/config``). Like ssh with a private key, a file that holds a secret key or
a token is refused when it is not owned by the user or can be read by others (a mode other than
``0600``/``0400``). Secrets are never printed: not in errors, not in ``--debug`` output.
"""

from __future__ import annotations

import configparser
import os
import stat
from collections.abc import Mapping
from pathlib import Path

import attrs

from ._errors import UsageError

__all__ = [
    "CONFIG_KEYS",
    "ENV_CONFIG",
    "ENV_ENDPOINT_URL",
    "ENV_PROFILE",
    "ENV_REGION",
    "ENV_SECRET_ID",
    "ENV_SECRET_KEY",
    "ENV_TOKEN",
    "MAX_CONFIG_BYTES",
    "Settings",
    "default_config_path",
    "resolve",
]

# the names of environment variables, not secrets
ENV_SECRET_ID = "COS_SECRET_ID"  # noqa: S105
ENV_SECRET_KEY = "COS_SECRET_KEY"  # noqa: S105
ENV_TOKEN = "COS_TOKEN"  # noqa: S105
ENV_REGION = "COS_REGION"
ENV_ENDPOINT_URL = "COS_ENDPOINT_URL"
ENV_CONFIG = "COS_ASYNC_CONFIG"
ENV_PROFILE = "COS_PROFILE"
#: what a profile of the configuration file may set
CONFIG_KEYS = ("region", "endpoint_url", "secret_id", "secret_key", "token")
_SECRET_KEYS = ("secret_key", "token")
#: a configuration file larger than this is no configuration file of ours
MAX_CONFIG_BYTES = 64 * 1024


@attrs.frozen(repr=False)
class Settings:
    """What a client is built from. ``source`` says where the keys came from (for messages;
    never the keys themselves)."""

    region: str | None
    endpoint_url: str | None
    secret_id: str | None
    secret_key: str | None
    token: str | None
    anonymous: bool
    source: str

    def __repr__(self) -> str:
        return (
            f"Settings(region={self.region!r}, endpoint_url={self.endpoint_url!r}, "
            f"secret_id={self.secret_id!r}, keys from {self.source})"
        )


def default_config_path(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "cos-async" / "config"


def _read_profile(path: Path, profile: str, explicit: bool) -> dict[str, str]:
    """The settings of ``profile`` in the file (``{}`` when a default file does not exist)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        if explicit:
            raise UsageError(f"configuration file {str(path)!r} does not exist") from None
        return {}
    except OSError as exc:
        raise UsageError(f"cannot read configuration file {str(path)!r}: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UsageError(f"configuration file {str(path)!r} is not a regular file")
        data = os.read(fd, MAX_CONFIG_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_CONFIG_BYTES:
        raise UsageError(
            f"configuration file {str(path)!r} is larger than {MAX_CONFIG_BYTES} bytes"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"configuration file {str(path)!r} is not UTF-8 text") from None
    parser = configparser.ConfigParser(interpolation=None, default_section="\x00none")
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as exc:
        # the message quotes the offending line, which may hold a key: say where, not what
        line = getattr(exc, "lineno", None)
        where = f" (line {line})" if line else ""
        raise UsageError(
            f"configuration file {str(path)!r} is not valid INI text{where}: {type(exc).__name__}"
        ) from None
    if any(
        parser.get(section, k, fallback="") for section in parser.sections() for k in _SECRET_KEYS
    ):
        _check_private(path, st)
    if not parser.has_section(profile):
        if explicit or profile != "default":
            names = ", ".join(parser.sections()) or "none"
            raise UsageError(
                f"configuration file {str(path)!r} has no profile [{profile}] (profiles: {names})"
            )
        return {}
    values = dict(parser.items(profile))
    unknown = sorted(set(values) - set(CONFIG_KEYS))
    if unknown:
        raise UsageError(
            f"configuration file {str(path)!r}, profile [{profile}]: unknown setting(s) "
            f"{', '.join(unknown)} (known: {', '.join(CONFIG_KEYS)})"
        )
    return {k: v.strip() for k, v in values.items() if v.strip()}


def _check_private(path: Path, st: os.stat_result) -> None:
    """A file with secrets must be the user's own and unreadable by others (as ssh demands)."""
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        raise UsageError(
            f"configuration file {str(path)!r} holds a secret key but belongs to another user "
            f"(uid {st.st_uid}); refusing to use it"
        )
    if st.st_mode & 0o077:
        raise UsageError(
            f"configuration file {str(path)!r} holds a secret key and is accessible by others "
            f"(mode {stat.S_IMODE(st.st_mode):04o}); refusing to use it: chmod 600 {path}"
        )


def resolve(
    *,
    env: Mapping[str, str],
    region: str | None,
    endpoint_url: str | None,
    secret_id: str | None,
    secret_key: str | None,
    token: str | None,
    anonymous: bool,
    config: str | None,
    profile: str | None,
    need_credentials: bool = True,
) -> Settings:
    """The settings from flags (the arguments), the environment ``env`` and the file."""
    if (secret_id is None) != (secret_key is None):
        raise UsageError("--secret-id and --secret-key go together")
    if token is not None and secret_id is None:
        raise UsageError("--token needs --secret-id and --secret-key")
    if anonymous and secret_id is not None:
        raise UsageError("--anonymous sends unsigned requests: give no keys with it")
    explicit = config is not None or bool(env.get(ENV_CONFIG))
    path = Path(config or env.get(ENV_CONFIG) or default_config_path(env))
    chosen = profile or env.get(ENV_PROFILE) or "default"
    file_values: dict[str, str] | None = None

    def from_file() -> dict[str, str]:
        nonlocal file_values
        if file_values is None:
            file_values = _read_profile(path, chosen, explicit or profile is not None)
        return file_values

    if profile is not None or explicit:
        from_file()  # a file or a profile asked for by name must exist, even if unused

    source = "--secret-id/--secret-key"
    if anonymous:
        secret_id = secret_key = token = None
        source = "--anonymous"
    elif secret_id is None:
        env_id, env_key = env.get(ENV_SECRET_ID), env.get(ENV_SECRET_KEY)
        if env_id or env_key:
            if not (env_id and env_key):
                missing = ENV_SECRET_KEY if env_id else ENV_SECRET_ID
                raise UsageError(
                    f"{ENV_SECRET_ID} and {ENV_SECRET_KEY} go together: {missing} is not set"
                )
            secret_id, secret_key = env_id.strip(), env_key.strip()
            token = (env.get(ENV_TOKEN) or "").strip() or None
            source = "the environment"
        else:
            values = from_file()
            secret_id, secret_key = values.get("secret_id"), values.get("secret_key")
            token = values.get("token")
            if (secret_id is None) != (secret_key is None):
                raise UsageError(
                    f"configuration file {str(path)!r}, profile [{chosen}]: secret_id and "
                    "secret_key go together"
                )
            source = f"{path} [{chosen}]"
    if need_credentials and not anonymous and secret_id is None:
        raise UsageError(
            f"no credentials: give --secret-id/--secret-key, set {ENV_SECRET_ID} and "
            f"{ENV_SECRET_KEY}, or put secret_id/secret_key in {str(path)!r} "
            "(--anonymous for public-read buckets)"
        )
    region = region or env.get(ENV_REGION) or from_file().get("region")
    endpoint_url = endpoint_url or env.get(ENV_ENDPOINT_URL) or from_file().get("endpoint_url")
    if region is None and endpoint_url is None:
        raise UsageError(
            f"no region: give --region, set {ENV_REGION}, or put region = ... in {str(path)!r} "
            "(or --endpoint-url for a local server or a custom endpoint)"
        )
    return Settings(
        region=region,
        endpoint_url=endpoint_url,
        secret_id=secret_id,
        secret_key=secret_key,
        token=token,
        anonymous=anonymous,
        source=source,
    )
