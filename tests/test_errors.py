"""The single mapping from status codes and error bodies to the exception tree."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import groq_anyio as g
from groq_anyio._errors import make_status_error
from groq_anyio._pipeline import retry_after_seconds


@pytest.mark.parametrize(
    ("status", "cls", "retryable"),
    [
        (400, g.BadRequestError, False),
        (401, g.AuthenticationError, False),
        (403, g.PermissionDeniedError, False),
        (404, g.NotFoundError, False),
        (408, g.APIStatusError, True),
        (409, g.ConflictError, True),
        (413, g.RequestTooLargeError, False),
        (422, g.UnprocessableEntityError, False),
        (424, g.FailedDependencyError, False),
        (429, g.RateLimitError, True),
        (498, g.FlexCapacityError, True),
        (499, g.ClientClosedRequestError, False),
        (500, g.InternalServerError, True),
        (502, g.InternalServerError, True),
        (503, g.ServiceUnavailableError, True),
        (504, g.InternalServerError, True),
        (418, g.APIStatusError, False),
    ],
)
def test_status_mapping(status: int, cls: type[g.APIStatusError], retryable: bool) -> None:
    body = {"error": {"message": "boom", "type": "t", "code": "c", "param": "p"}}
    err = make_status_error(status, body, headers={"x-request-id": "req_1"})
    assert type(err) is cls
    assert isinstance(err, g.APIStatusError) and isinstance(err, g.APIError)
    assert (err.status_code, err.message, err.type, err.code, err.param, err.request_id) == (
        status,
        "boom",
        "t",
        "c",
        "p",
        "req_1",
    )
    assert err.retryable is retryable
    assert "boom" in str(err) and str(status) in str(err)


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, "context_length_exceeded", g.ContextLengthExceededError),
        (400, "tool_use_failed", g.ToolUseFailedError),
        (400, "content_filter", g.ContentFilterError),
        (404, "model_not_found", g.ModelNotFoundError),
        (
            500,
            "model_not_found",
            g.InternalServerError,
        ),  # a code never moves a class across statuses
    ],
)
def test_code_refinement(status: int, code: str, cls: type[g.APIStatusError]) -> None:
    err = make_status_error(
        status, {"error": {"message": "m", "code": code, "failed_generation": "fg"}}
    )
    assert type(err) is cls
    assert err.failed_generation == "fg"


def test_x_should_retry_overrides() -> None:
    assert make_status_error(400, None, headers={"x-should-retry": "true"}).retryable
    assert not make_status_error(503, None, headers={"x-should-retry": "false"}).retryable


def test_non_json_body_becomes_message() -> None:
    err = make_status_error(502, None, raw_text="<html>Bad gateway</html>")
    assert "Bad gateway" in err.message


def test_rate_limit_retry_after() -> None:
    err = make_status_error(429, {"error": {"message": "slow"}}, retry_after=12.5)
    assert isinstance(err, g.RateLimitError) and err.retry_after == 12.5


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after": "7"}, 7.0),
        ({"retry-after": "0.25"}, 0.25),
        ({"retry-after": "soon"}, None),
        ({}, None),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),
    ],
)
def test_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_seconds(headers) == expected


@given(
    st.integers(100, 599),
    st.one_of(
        st.none(),
        st.text(),
        st.dictionaries(
            st.text(max_size=8),
            st.one_of(
                st.none(), st.text(), st.integers(), st.dictionaries(st.text(max_size=8), st.text())
            ),
        ),
    ),
)
def test_any_body_maps_cleanly(status: int, body: object) -> None:
    err = make_status_error(status, body)
    assert isinstance(err, g.APIStatusError)
    assert isinstance(err.message, str) and err.message
    str(err)
