"""The fetch layer against a real HTTP server on 127.0.0.1: retries, conditional GET, refusals."""

import gzip
import logging
import socket
from pathlib import Path

import pytest

from sanctions.archive import Archive
from sanctions.errors import FetchError
from sanctions.fetch import (
    BROWSER_USER_AGENT,
    MIRROR_HINT,
    HttpOptions,
    fetch_to_archive,
    retry_summary,
)
from tests.conftest import Reply

BODY = b'36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n\x1a'
FAST = HttpOptions(retries=3, backoff_seconds=0.01, max_backoff_seconds=0.05, read_timeout=5)


def fetch(server, path, archive, **kwargs):
    kwargs.setdefault("options", FAST)
    return fetch_to_archive("us_ofac", server.base_url + path, "SDN.CSV", archive, **kwargs)


def archived_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_download_lands_in_content_addressed_archive(http_server, tmp_path):
    http_server.route("/SDN.CSV", Reply(body=BODY, headers={"ETag": '"v1"'}))
    archive = Archive(tmp_path)
    fetched = fetch(http_server, "/SDN.CSV", archive)
    assert fetched.http_status == 200
    assert fetched.archive_path == tmp_path / "us_ofac" / f"{fetched.sha256}.csv"
    assert fetched.archive_path.read_bytes() == BODY
    assert fetched.etag == '"v1"'
    assert fetched.bytes == len(BODY)


def test_conditional_get_reuses_the_archived_file(http_server, tmp_path):
    http_server.route(
        "/SDN.CSV",
        Reply(
            body=BODY, headers={"ETag": '"v1"', "Last-Modified": "Tue, 24 Nov 2026 10:00:00 GMT"}
        ),
    )
    archive = Archive(tmp_path)
    first = fetch(http_server, "/SDN.CSV", archive)
    second = fetch(http_server, "/SDN.CSV", archive, previous=first)
    sent = http_server.hits("/SDN.CSV")[-1]
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == "Tue, 24 Nov 2026 10:00:00 GMT"
    assert second.http_status == 304 and second.not_modified
    assert second.sha256 == first.sha256 and second.archive_path == first.archive_path


def test_conditional_get_is_skipped_when_the_archived_copy_is_gone(http_server, tmp_path):
    http_server.route("/SDN.CSV", Reply(body=BODY, headers={"ETag": '"v1"'}))
    archive = Archive(tmp_path)
    first = fetch(http_server, "/SDN.CSV", archive)
    first.archive_path.unlink()
    again = fetch(http_server, "/SDN.CSV", archive, previous=first)
    assert "If-None-Match" not in http_server.hits("/SDN.CSV")[-1]
    assert again.http_status == 200 and again.archive_path.is_file()


def test_retries_after_503_and_honours_retry_after(http_server, tmp_path):
    http_server.route(
        "/SDN.CSV",
        Reply(status=503, headers={"Retry-After": "0"}),
        Reply(status=429, headers={"Retry-After": "0"}),
        Reply(body=BODY),
    )
    waits = []
    fetched = fetch(http_server, "/SDN.CSV", Archive(tmp_path), sleep=waits.append)
    assert fetched.sha256 and len(http_server.hits("/SDN.CSV")) == 3
    assert waits == [0.0, 0.0]


def test_backoff_grows_exponentially_without_retry_after(http_server, tmp_path):
    http_server.route("/SDN.CSV", Reply(status=500), Reply(status=502), Reply(body=BODY))
    waits = []
    options = HttpOptions(retries=3, backoff_seconds=1.0, max_backoff_seconds=60)
    fetch(http_server, "/SDN.CSV", Archive(tmp_path), options=options, sleep=waits.append)
    assert waits == [1.0, 2.0]


def test_gives_up_after_the_retry_budget_naming_source_and_file(http_server, tmp_path):
    http_server.route("/SDN.CSV", Reply(status=503))
    options = HttpOptions(retries=3, backoff_seconds=30, max_backoff_seconds=120)
    with pytest.raises(FetchError) as raised:
        fetch(http_server, "/SDN.CSV", Archive(tmp_path), options=options, sleep=lambda _: None)
    # 30 + 60 + 120 s of backoff: summarised once, each distinct problem named once
    assert str(raised.value) == (
        f"us_ofac: SDN.CSV: gave up on {http_server.base_url}/SDN.CSV: "
        "4 attempts over 3 min 30 s: HTTP 503 (4 times)"
    )


def test_a_refused_connection_is_summarised_once_without_object_addresses(tmp_path, caplog):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/SDN.CSV"
    with caplog.at_level(logging.INFO), pytest.raises(FetchError) as raised:
        fetch_to_archive("us_ofac", url, "SDN.CSV", Archive(tmp_path), FAST, sleep=lambda _: None)
    message = str(raised.value)
    # nothing listening on this machine: one retry, not the whole budget (tests/test_operations)
    assert message.startswith(f"us_ofac: SDN.CSV: gave up on {url}: 2 attempts over ")
    assert message.endswith(f"(2 times); {MIRROR_HINT}")
    assert message.count("connection failed") == 1
    assert "NewConnectionError" in message and "object at 0x" not in message
    retries = [r.getMessage() for r in caplog.records if r.name == "sanctions.fetch"]
    assert retries == ["us_ofac: SDN.CSV: attempt 1 failed, retrying in 0.0s"]
    assert all(r.levelno == logging.INFO for r in caplog.records if r.name == "sanctions.fetch")


def test_retry_summary_groups_problems_in_order():
    problems = ["HTTP 503", "connection failed: x", "HTTP 503", "HTTP 503", "HTTP 503"]
    assert retry_summary(problems, 362.4) == (
        "5 attempts over 6 min 2 s: HTTP 503 (4 times); connection failed: x"
    )


def test_truncated_body_fails_and_leaves_nothing_in_the_archive(http_server, tmp_path):
    http_server.route("/SDN.CSV", Reply(body=BODY[:40], declared_length=len(BODY)))
    with pytest.raises(FetchError, match=r"us_ofac: SDN.CSV: .*truncated"):
        fetch(http_server, "/SDN.CSV", Archive(tmp_path), sleep=lambda _: None)
    assert archived_files(tmp_path) == []


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        (Reply(body=b"<!DOCTYPE html><html><body>Service unavailable</body></html>"), "HTML page"),
        (
            Reply(body=b"<html>maintenance</html>", headers={"Content-Type": "text/html"}),
            "HTML page",
        ),
        (Reply(body=b""), "empty"),
        (Reply(status=403), "HTTP 403"),
        (Reply(body=BODY * 10), "cap"),
    ],
)
def test_bad_responses_are_refused_with_a_clear_message(http_server, tmp_path, reply, problem):
    http_server.route("/SDN.CSV", reply)
    options = HttpOptions(retries=0, max_bytes=len(BODY) * 5)
    with pytest.raises(FetchError, match=problem) as raised:
        fetch(http_server, "/SDN.CSV", Archive(tmp_path), options=options)
    assert str(raised.value).startswith("us_ofac: SDN.CSV: ")
    assert archived_files(tmp_path) == []


def test_optional_companion_missing_gives_none(http_server, tmp_path):
    assert fetch(http_server, "/ALT.CSV", Archive(tmp_path), optional=True) is None
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch(http_server, "/ALT.CSV", Archive(tmp_path))


def test_browser_user_agent_where_the_publisher_requires_one(http_server, tmp_path):
    http_server.route("/SDN.CSV", Reply(body=BODY))
    fetch(http_server, "/SDN.CSV", Archive(tmp_path), browser_user_agent=True)
    assert http_server.hits("/SDN.CSV")[-1]["User-Agent"] == BROWSER_USER_AGENT


def test_paths_and_file_urls_go_through_the_same_checks(tmp_path):
    source = tmp_path / "mirror" / "SDN.CSV"
    source.parent.mkdir()
    source.write_bytes(BODY)
    archive = Archive(tmp_path / "archive")
    by_path = fetch_to_archive("us_ofac", str(source), "SDN.CSV", archive, FAST)
    by_url = fetch_to_archive("us_ofac", source.as_uri(), "SDN.CSV", archive, FAST)
    assert by_path.sha256 == by_url.sha256 and by_path.http_status is None
    source.write_bytes(b"   \r\n")
    with pytest.raises(FetchError, match="empty"):
        fetch_to_archive("us_ofac", str(source), "SDN.CSV", archive, FAST)
    assert (
        fetch_to_archive(
            "us_ofac", str(tmp_path / "nope.csv"), "ALT.CSV", archive, FAST, optional=True
        )
        is None
    )


def test_gzip_content_encoding_is_decoded(http_server, tmp_path):
    http_server.route(
        "/SDN.CSV", Reply(body=gzip.compress(BODY), headers={"Content-Encoding": "gzip"})
    )
    fetched = fetch(http_server, "/SDN.CSV", Archive(tmp_path))
    assert fetched.archive_path.read_bytes() == BODY


def test_a_connection_reset_mid_body_is_retried_then_reported(http_server, tmp_path):
    http_server.route("/SDN.CSV", Reply(body=BODY * 50, mode="reset"))
    with pytest.raises(FetchError, match=r"us_ofac: SDN.CSV: gave up .* 4 attempts"):
        fetch(http_server, "/SDN.CSV", Archive(tmp_path), sleep=lambda _: None)
    assert archived_files(tmp_path) == []


def test_a_server_that_drips_bytes_hits_the_read_timeout(http_server, tmp_path):
    http_server.route("/SDN.CSV", Reply(body=BODY, mode="drip"))
    options = HttpOptions(retries=0, read_timeout=0.3)
    with pytest.raises(FetchError, match=r"(timed out|interrupted)"):
        fetch(http_server, "/SDN.CSV", Archive(tmp_path), options=options)
    assert archived_files(tmp_path) == []


def test_a_redirect_loop_fails_clearly(http_server, tmp_path):
    http_server.route("/SDN.CSV", Reply(status=302, headers={"Location": "/SDN.CSV"}))
    with pytest.raises(FetchError, match="redirect loop"):
        fetch(http_server, "/SDN.CSV", Archive(tmp_path))
