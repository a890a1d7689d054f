"""Download one official file into the archive: streaming, retrying, conditional, verified.

HTTP(S) URLs, `file://` URLs and plain paths all go through `fetch_to_archive`, so a mirror on
disk exercises the same archive, hashing and sanity checks as the live publishers.
"""

from __future__ import annotations

import email.utils
import logging
import re
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlparse

import requests
from urllib3.exceptions import HTTPError as Urllib3HTTPError
from urllib3.exceptions import NameResolutionError

from sanctions.archive import Archive
from sanctions.errors import FetchError

log = logging.getLogger(__name__)

BROWSER_USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Safari/537.36"
)
PROJECT_USER_AGENT = "sanctions-alignment/0.1 (open-source sanctions research pipeline)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
CHUNK_BYTES = 1 << 20
SNIFF_BYTES = 512


@dataclass(frozen=True)
class HttpOptions:
    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    retries: int = 4
    backoff_seconds: float = 2.0
    max_backoff_seconds: float = 120.0
    max_bytes: int = 1_000_000_000
    user_agent: str | None = None  # None: the project's UA, or a browser's where required


@dataclass(frozen=True)
class FetchedFile:
    """One file as it now sits in the archive, with how it got there."""

    source_id: str
    file_name: str
    url: str
    fetched_at: datetime
    http_status: int | None
    etag: str | None
    last_modified: str | None
    bytes: int
    sha256: str
    archive_path: Path
    not_modified: bool = False


class _Retryable(Exception):
    def __init__(self, problem: str, wait: float | None = None, unreachable: bool = False):
        super().__init__(problem)
        self.wait = wait
        # a host name that does not resolve, or a refused connection on this machine: one
        # retry (a resolver or a local mirror restarting), not minutes of back-off
        self.unreachable = unreachable


UNREACHABLE_RETRIES = 1
MIRROR_HINT = (
    "offline, or the mirror down? SANCTIONS_MIRROR can name a folder holding the files "
    "(README: Offline, from a mirror)"
)
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def fetch_to_archive(
    source_id: str,
    location: str,
    file_name: str,
    archive: Archive,
    options: HttpOptions,
    previous: FetchedFile | None = None,
    optional: bool = False,
    browser_user_agent: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> FetchedFile | None:
    """Fetch `location` (URL or path) into the archive.

    `previous` is the last archived fetch of the same URL: its ETag / Last-Modified make the
    request conditional. An `optional` file that does not exist (404, missing path) gives None.
    """
    ext = Path(file_name).suffix.lstrip(".").lower() or "bin"
    scheme = urlparse(location).scheme.lower()
    if scheme in ("http", "https"):
        return _fetch_http(
            source_id,
            location,
            file_name,
            ext,
            archive,
            options,
            previous,
            optional,
            browser_user_agent,
            sleep,
        )
    path = Path(unquote(urlparse(location).path)) if scheme == "file" else Path(location)
    if not path.is_file():
        if optional:
            return None
        raise FetchError(source_id, file_name, f"no such file: {path}")
    with path.open("rb") as handle:
        stored = archive.store(
            source_id,
            _checked(
                source_id, file_name, iter(lambda: handle.read(CHUNK_BYTES), b""), options.max_bytes
            ),
            ext,
        )
    return FetchedFile(
        source_id,
        file_name,
        location,
        _now(),
        None,
        None,
        None,
        stored.bytes,
        stored.sha256,
        stored.path,
    )


def _fetch_http(
    source_id, url, file_name, ext, archive, options, previous, optional, browser_ua, sleep
) -> FetchedFile | None:
    headers = {
        "User-Agent": options.user_agent
        or (BROWSER_USER_AGENT if browser_ua else PROJECT_USER_AGENT),
        "Accept-Encoding": "gzip, deflate",
    }
    if previous is not None and previous.archive_path.is_file():
        if previous.etag:
            headers["If-None-Match"] = previous.etag
        if previous.last_modified:
            headers["If-Modified-Since"] = previous.last_modified
    problems: list[str] = []
    seconds = 0.0  # spent trying and waiting (waits counted as asked for, so tests can skip them)
    with requests.Session() as session:
        for attempt in range(options.retries + 1):
            attempt_started = time.monotonic()
            try:
                return _attempt(
                    session,
                    source_id,
                    url,
                    file_name,
                    ext,
                    archive,
                    options,
                    headers,
                    previous,
                    optional,
                )
            except _Retryable as retryable:
                problems.append(str(retryable))
                seconds += time.monotonic() - attempt_started
                unreachable = retryable.unreachable
                if attempt == options.retries or (unreachable and attempt >= UNREACHABLE_RETRIES):
                    break
                wait = min(
                    options.max_backoff_seconds,
                    retryable.wait
                    if retryable.wait is not None
                    else options.backoff_seconds * 2**attempt,
                )
                # one quiet line per retry; the error names every problem once, when it gives up
                log.info(
                    "%s: %s: attempt %d failed, retrying in %.1fs",
                    source_id,
                    file_name,
                    attempt + 1,
                    wait,
                )
                sleep(wait)
                seconds += wait
    hint = f"; {MIRROR_HINT}" if unreachable else ""
    raise FetchError(
        source_id,
        file_name,
        f"gave up on {url}: {retry_summary(problems, seconds)}{hint}",
    )


def retry_summary(problems: list[str], seconds: float) -> str:
    """'5 attempts over 6 min: HTTP 503 (4 times); connection failed: ...', each problem once."""
    counts = Counter(problems)
    listed = "; ".join(
        problem if count == 1 else f"{problem} ({count} times)" for problem, count in counts.items()
    )
    minutes, rest = divmod(round(seconds), 60)
    duration = f"{minutes} min {rest} s" if minutes else f"{rest} s"
    return f"{len(problems)} attempts over {duration}: {listed}"


def _reason(exc: requests.RequestException) -> str:
    """The root cause of a connection error, without the object addresses that differ per try."""
    cause = exc.args[0] if exc.args else exc
    cause = getattr(cause, "reason", cause)  # urllib3's MaxRetryError wraps the real cause
    text = re.sub(r"<[^<>]*? object at 0x[0-9a-f]+>: ", "", str(cause))
    return f"{type(cause).__name__}: {text}"


def _unreachable(exc: requests.RequestException, url: str) -> bool:
    """A name the resolver does not know, or nothing listening on this machine: no amount of
    waiting helps (a timeout or a reset may pass, and keeps the full retries)."""
    if isinstance(exc, requests.Timeout):
        return False
    causes, cause = [], exc
    while cause is not None and len(causes) < 10:
        causes.append(cause)
        cause = cause.__cause__ or cause.__context__ or getattr(cause, "reason", None)
        cause = cause if isinstance(cause, BaseException) else None
    if any(isinstance(c, (socket.gaierror, NameResolutionError)) for c in causes):
        return True
    refused = any(isinstance(c, ConnectionRefusedError) for c in causes)
    return refused and (urlparse(url).hostname or "") in _LOCAL_HOSTS


def _attempt(
    session, source_id, url, file_name, ext, archive, options, headers, previous, optional
) -> FetchedFile | None:
    fetched_at = _now()
    try:
        response = session.get(
            url,
            headers=headers,
            stream=True,
            timeout=(options.connect_timeout, options.read_timeout),
        )
    except requests.TooManyRedirects as exc:
        raise FetchError(source_id, file_name, f"redirect loop at {url}") from exc
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise _Retryable(
            f"connection failed: {_reason(exc)}", unreachable=_unreachable(exc, url)
        ) from exc
    except requests.RequestException as exc:
        raise FetchError(source_id, file_name, f"request failed: {type(exc).__name__}") from exc
    with response:
        status = response.status_code
        if status == 304 and previous is not None:
            return replace(
                previous, url=url, fetched_at=fetched_at, http_status=304, not_modified=True
            )
        if status in RETRY_STATUSES:
            raise _Retryable(f"HTTP {status}", _retry_after(response.headers.get("Retry-After")))
        if status == 404 and optional:
            return None
        if status != 200:
            raise FetchError(source_id, file_name, f"HTTP {status} {response.reason} from {url}")
        if "html" in response.headers.get("Content-Type", "").lower():
            raise FetchError(
                source_id,
                file_name,
                f"{url} served an HTML page (Content-Type "
                f"{response.headers['Content-Type']}) instead of the list",
            )
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > options.max_bytes:
            raise FetchError(
                source_id,
                file_name,
                f"{url} is {int(declared):,} bytes, over the cap of {options.max_bytes:,}",
            )
        try:
            stored = archive.store(
                source_id,
                _checked(
                    source_id, file_name, response.iter_content(CHUNK_BYTES), options.max_bytes
                ),
                ext,
            )
        except (requests.RequestException, Urllib3HTTPError) as exc:
            raise _Retryable(f"download interrupted or truncated: {exc}") from exc
        return FetchedFile(
            source_id,
            file_name,
            url,
            fetched_at,
            status,
            response.headers.get("ETag"),
            response.headers.get("Last-Modified"),
            stored.bytes,
            stored.sha256,
            stored.path,
        )


def _checked(source_id: str, file_name: str, chunks, max_bytes: int) -> Iterator[bytes]:
    """Pass chunks through, refusing empty files, HTML error pages and oversized files."""
    total = 0
    head = b""
    for chunk in chunks:
        if not chunk:
            continue
        if len(head) < SNIFF_BYTES:
            head += chunk[:SNIFF_BYTES]
            _refuse_html(source_id, file_name, head)
        total += len(chunk)
        if total > max_bytes:
            raise FetchError(source_id, file_name, f"larger than the cap of {max_bytes:,} bytes")
        yield chunk
    if total == 0 or not head.strip(b" \t\r\n\x1a\xef\xbb\xbf"):
        raise FetchError(source_id, file_name, "the file is empty")


def _refuse_html(source_id: str, file_name: str, head: bytes) -> None:
    start = head.lstrip(b" \t\r\n\xef\xbb\xbf")[:64].lower()
    if start.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        raise FetchError(
            source_id,
            file_name,
            "an HTML page was served instead of the list "
            f"(starts with {start[:40].decode('ascii', 'replace')!r})",
        )


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - _now()).total_seconds())


def _now() -> datetime:
    return datetime.now(UTC)
