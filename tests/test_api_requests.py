"""What the flag API says about the requests it cannot use: content type, body, failed auth.

Also runs the README's batch ``curl`` example against the app, headers and body as written.
"""

from __future__ import annotations

import logging
import re
import shlex
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from linkguard.api import SnapshotSource, create_app
from linkguard.pipeline.snapshot import write_snapshot
from sample_snapshots import sample_snapshot

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

README = Path(__file__).resolve().parents[1] / "README.md"
TOKEN = "requests-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BODY = b'{"account_ids": ["S1", "nobody"]}'


def _client(tmp_path: Path, tokens: list[str]) -> TestClient:
    snap = write_snapshot(sample_snapshot("snap-req"), tmp_path / "snap")
    source = SnapshotSource(snapshot=snap)
    assert source.refresh()
    return TestClient(create_app(source, tokens, watch=False), raise_server_exceptions=False)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with _client(tmp_path, [TOKEN]) as c:
        yield c


def _error(resp: httpx.Response, status: int, code: str) -> str:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/json"
    error = resp.json()["error"]
    assert error["code"] == code
    assert error["request_id"] == resp.headers["x-request-id"]
    return str(error["message"])


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded",  # what curl -d sends unless told otherwise
        "text/plain",
        "multipart/form-data; boundary=x",
        "application/jsonp",
        None,
    ],
)
def test_a_body_that_is_not_sent_as_json_is_415(
    client: TestClient, content_type: str | None
) -> None:
    headers = dict(AUTH) if content_type is None else {**AUTH, "Content-Type": content_type}
    message = _error(
        client.post("/v1/flags:batch", content=BODY, headers=headers),
        415,
        "unsupported_media_type",
    )
    assert "must be JSON" in message
    assert "Content-Type: application/json" in message


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "Application/JSON; charset=utf-8", "application/merge-patch+json"],
)
def test_json_bodies_are_taken(client: TestClient, content_type: str) -> None:
    resp = client.post(
        "/v1/flags:batch", content=BODY, headers={**AUTH, "Content-Type": content_type}
    )
    assert resp.status_code == 200
    assert [a["account_id"] for a in resp.json()] == ["S1", "nobody"]


def test_auth_comes_before_the_content_type(client: TestClient) -> None:
    resp = client.post("/v1/flags:batch", content=BODY, headers={"Content-Type": "text/plain"})
    _error(resp, 401, "unauthorized")


@pytest.mark.parametrize("body", [b"", b"{not json", b"[]", b'"S1"'])
def test_a_422_about_the_body_says_what_is_expected(client: TestClient, body: bytes) -> None:
    headers = {**AUTH, "Content-Type": "application/json"}
    message = _error(
        client.post("/v1/flags:batch", content=body, headers=headers), 422, "validation_error"
    )
    assert "must be JSON" in message
    assert '{"account_ids": [' in message
    assert "Content-Type: application/json" in message


def test_openapi_documents_the_415(client: TestClient) -> None:
    responses = client.get("/openapi.json").json()["paths"]["/v1/flags:batch"]["post"]["responses"]
    assert "415" in responses


def _readme_batch_curl() -> tuple[list[str], str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## The flag API") :]
    start = section.index("```bash") + len("```bash")
    block = section[start : section.index("```", start)]
    joined = re.sub(r"\\\n\s*", " ", block)
    commands = [shlex.split(line) for line in joined.splitlines() if line.startswith("curl ")]
    batch = [c for c in commands if any(a.endswith("/v1/flags:batch") for a in c)]
    assert len(batch) == 1, "the README shows one batch curl example"
    token = re.search(r"LINKGUARD_API_TOKENS=(\S+)", block)
    assert token is not None
    return batch[0], token.group(1)


def _as_request(argv: list[str]) -> tuple[dict[str, str], bytes, str]:
    """The headers, body and path curl would send for ``argv`` (the options the README uses)."""
    headers: dict[str, str] = {}
    body = b""
    path = ""
    args = iter(argv[1:])
    for arg in args:
        if arg in ("-H", "--header"):
            name, _, value = next(args).partition(":")
            headers[name.strip()] = value.strip()
        elif arg in ("-d", "--data", "--data-raw"):
            body = next(args).encode()
        elif arg.startswith("-"):
            raise AssertionError(f"the test does not know curl option {arg}")
        else:
            path = "/" + arg.split("/", 1)[1]
    if body and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = "application/x-www-form-urlencoded"  # curl's default for -d
    return headers, body, path


def test_the_readme_batch_example_works(tmp_path: Path) -> None:
    argv, token = _readme_batch_curl()
    headers, body, path = _as_request(argv)
    with _client(tmp_path, [token]) as client:
        resp = client.post(path, content=body, headers=headers)
    assert resp.status_code == 200, resp.text
    answers: list[dict[str, Any]] = resp.json()
    assert [a["account_id"] for a in answers] == orjson.loads(body)["account_ids"]


def test_401_log_lines_carry_the_client_address(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="linkguard.api.access")
    client.get("/v1/accounts/S1/flags", headers={"Authorization": "Bearer wrong"})
    client.get("/v1/accounts/S1/flags", headers=AUTH)
    lines = [r.fields for r in caplog.records if r.name == "linkguard.api.access"]  # type: ignore[attr-defined]
    assert [line["status"] for line in lines] == [401, 200]
    assert lines[0]["client"] == "testclient"  # the test client's address
    assert "client" not in lines[1]
