"""Blocking transport: urllib for calls, http.client for the event stream (whose socket must be
reachable to cut it from another thread)."""

from __future__ import annotations

import http.client
import logging
import socket
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from ._http import (
    PreparedRequest,
    RetryPolicy,
    api_error,
    interpret,
    retryable_error,
    retryable_transport,
    url_parts,
)
from .errors import APIError, ConnectionFailedError, TransportError

log = logging.getLogger("codex_manager")


class _Failure(Exception):
    def __init__(self, kind: str, error: TransportError) -> None:
        super().__init__(str(error))
        self.kind = kind
        self.error = error


def classify(req: PreparedRequest, exc: BaseException) -> _Failure:
    """`connect`: nothing reached the server. `io`: it may have. `fatal`: repeating cannot help."""
    reason: BaseException = (
        exc.reason
        if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException)
        else exc
    )
    where = f"{req.method} {req.url}"
    if isinstance(reason, ssl.SSLCertVerificationError):
        return _Failure(
            "fatal",
            TransportError(f"{where}: TLS verification failed: {reason}", method=req.method, url=req.url),
        )
    if isinstance(reason, (ConnectionRefusedError, socket.gaierror, FileNotFoundError)):
        return _Failure(
            "connect",
            ConnectionFailedError(
                f"{where}: cannot connect ({reason}); is Codex Manager running?",
                method=req.method,
                url=req.url,
            ),
        )
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return _Failure("io", TransportError(f"{where}: timed out", method=req.method, url=req.url))
    return _Failure(
        "io", TransportError(f"{where}: {type(reason).__name__}: {reason}", method=req.method, url=req.url)
    )


class SyncTransport:
    def __init__(
        self, *, timeout: float, retry: RetryPolicy, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self.timeout = timeout
        self.retry = retry
        self._ssl = ssl_context
        # Proxies from the environment are not used: the API is usually on loopback, and the event
        # stream (http.client) could not honour them anyway.
        self._opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=ssl_context)
        )

    def send(self, req: PreparedRequest, timeout: float | None = None) -> Any:
        attempt = 0
        while True:
            try:
                status, headers, body = self._exchange(req, self.timeout if timeout is None else timeout)
            except _Failure as failure:
                if (
                    failure.kind != "fatal"
                    and attempt < self.retry.max_retries
                    and retryable_transport(req, failure.kind)
                ):
                    self._pause(req, attempt, None, str(failure.error))
                    attempt += 1
                    continue
                raise failure.error from failure.__cause__
            try:
                return interpret(req, status, headers, body)
            except APIError as err:
                if attempt < self.retry.max_retries and retryable_error(req, err):
                    self._pause(req, attempt, err.retry_after, str(err))
                    attempt += 1
                    continue
                raise

    def _pause(self, req: PreparedRequest, attempt: int, retry_after: str | None, why: str) -> None:
        delay = self.retry.delay(attempt, retry_after)
        log.info("retrying %s %s in %.2fs (attempt %d): %s", req.method, req.url, delay, attempt + 2, why)
        time.sleep(delay)

    def _exchange(self, req: PreparedRequest, timeout: float) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(req.url, data=req.body, headers=req.headers, method=req.method)
        try:
            with self._opener.open(request, timeout=timeout) as resp:
                return resp.status, dict(resp.headers.items()), resp.read()
        except urllib.error.HTTPError as e:
            with e:
                return e.code, dict(e.headers.items()), e.read()
        except (urllib.error.URLError, http.client.HTTPException, OSError) as e:
            failure = classify(req, e)
            raise failure from e

    def open_stream(
        self,
        req: PreparedRequest,
        timeout: float,
        on_connection: Callable[[http.client.HTTPConnection], None] = lambda _: None,
    ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        """Connects and returns the open response of a `text/event-stream` request. `timeout` is the
        longest silence tolerated on the socket before it counts as dead. `on_connection` gets the
        connection before it connects, so another thread can cut it while it waits for headers."""
        scheme, host, port = url_parts(req.url)
        conn: http.client.HTTPConnection
        if scheme == "https":
            conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=self._ssl)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
        on_connection(conn)
        try:
            conn.request(req.method, req.target, body=req.body, headers=req.headers)
            resp = conn.getresponse()
        except (http.client.HTTPException, OSError) as e:
            conn.close()
            raise classify(req, e) from e
        if resp.status != 200:
            body = resp.read()
            headers = dict(resp.getheaders())
            conn.close()
            raise api_error(req, resp.status, headers, body)
        return conn, resp
