"""Every transport the engine is handed has every member of ``app.sync.remote.Transport``.

``runtime_checkable`` only checks that the names exist; this compares each member: methods are
callable with the protocol's parameters, ``prefetch`` is a bool.
"""

from __future__ import annotations

import inspect
from types import SimpleNamespace

import pytest
from sim_support import DirectTransport
from sync_support import LocalTransport

from app.services.session_service import SessionTransport
from app.sync.remote import Transport
from app.sync.transport import HttpTransport

DEAD_URL = "http://127.0.0.1:9"


def protocol_members(protocol: type) -> dict[str, inspect.Signature | None]:
    """Public members of ``protocol``: method name -> signature, data member name -> None."""
    members: dict[str, inspect.Signature | None] = dict.fromkeys(inspect.get_annotations(protocol))
    for name, value in vars(protocol).items():
        if not name.startswith("_") and inspect.isfunction(value):
            members[name] = inspect.signature(value)
    return members


def mismatches(obj: object, protocol: type = Transport) -> list[str]:
    """What ``obj`` lacks or takes differently from ``protocol``; empty when it conforms."""
    problems = []
    for name, expected in protocol_members(protocol).items():
        if not hasattr(obj, name):
            problems.append(f"{name}: missing")
            continue
        value = getattr(obj, name)
        if expected is None:
            if not isinstance(value, bool):
                problems.append(f"{name}: {value!r} is not a bool")
            continue
        if not callable(value):
            problems.append(f"{name}: not callable")
            continue
        wanted = [p for p in expected.parameters if p != "self"]
        got = list(inspect.signature(value).parameters)
        if got[: len(wanted)] != wanted:
            problems.append(f"{name}{tuple(got)}: the protocol takes {tuple(wanted)}")
    return problems


def test_the_protocol_lists_what_the_engine_and_the_session_use():
    assert set(protocol_members(Transport)) == {
        "prefetch", "health", "login", "pull", "push", "has_blob", "upload_offset",
        "put_blob", "get_blob", "close",
    }  # fmt: skip


def session_transport() -> SessionTransport:
    service = SimpleNamespace(make_transport=lambda token: HttpTransport(DEAD_URL, token))
    return SessionTransport(service, "user-1", "token")


@pytest.mark.parametrize(
    "make",
    [
        lambda: HttpTransport(DEAD_URL),
        session_transport,
        lambda: LocalTransport(None),
        lambda: DirectTransport(None),
    ],
    ids=["HttpTransport", "SessionTransport", "LocalTransport", "DirectTransport"],
)
def test_transports_satisfy_the_protocol(make):
    transport = make()
    try:
        assert isinstance(transport, Transport)
        assert mismatches(transport) == []
    finally:
        transport.close()


def test_session_transport_forwards_the_prefetch_flag():
    transport = session_transport()
    try:
        assert transport.prefetch is True
        transport.inner.prefetch = False
        assert transport.prefetch is False
    finally:
        transport.close()


def test_the_checker_sees_a_missing_or_different_member():
    class Partial:
        prefetch = "yes"

        def pull(self, cursor, limit): ...

        def push(self, payload): ...

    problems = mismatches(Partial())
    assert "prefetch: 'yes' is not a bool" in problems
    assert "close: missing" in problems and "has_blob: missing" in problems
    assert "push('payload',): the protocol takes ('body',)" in problems
    assert not any(p.startswith("pull") for p in problems)
