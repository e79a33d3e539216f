"""A small HTTP/1.1 client exchange on asyncio streams (the standard library has no async HTTP client).

One request per connection (`Connection: close`): on loopback a connect costs ~0.1 ms, and it keeps the
client free of pooling state. Bodies are read by Content-Length, chunked encoding or until EOF.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from ._http import PreparedRequest, url_parts

READ_SIZE = 65536


def request_head(req: PreparedRequest) -> bytes:
    scheme, host, port = url_parts(req.url)
    default = 443 if scheme == "https" else 80
    host_header = f"[{host}]" if ":" in host else host
    if port != default:
        host_header += f":{port}"
    lines = [f"{req.method} {req.target} HTTP/1.1", f"Host: {host_header}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in req.headers.items()]
    if req.body is not None:
        lines.append(f"Content-Length: {len(req.body)}")
    elif req.method in ("POST", "PUT", "PATCH"):
        lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def read_head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    """Status and headers (names lower-cased); interim 1xx responses are skipped."""
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionResetError("the server closed the connection before answering")
        parts = line.decode("latin-1").split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
            raise ConnectionResetError(f"not an HTTP response: {line[:80]!r}")
        status = int(parts[1])
        headers: dict[str, str] = {}
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b"\n"):
                break
            if not line:
                raise ConnectionResetError("the server closed the connection inside the headers")
            name, _, value = line.decode("latin-1").partition(":")
            key = name.strip().lower()
            headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
        if not 100 <= status < 200:
            return status, headers


class Body:
    """The response body, read incrementally with `read_chunk()` (b'' at the end) or at once."""

    def __init__(self, reader: asyncio.StreamReader, status: int, headers: Mapping[str, str]) -> None:
        self._reader = reader
        self._chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        length = headers.get("content-length")
        self._remaining: int | None = None if self._chunked or length is None else int(length)
        if status in (204, 304):
            self._remaining = 0
        self._chunk_left = 0
        self._done = self._remaining == 0

    async def read_chunk(self) -> bytes:
        if self._done:
            return b""
        if self._chunked:
            return await self._read_chunked()
        if self._remaining is None:
            data = await self._reader.read(READ_SIZE)
            self._done = not data
            return data
        data = await self._reader.read(min(self._remaining, READ_SIZE))
        if not data:
            raise asyncio.IncompleteReadError(b"", self._remaining)
        self._remaining -= len(data)
        self._done = self._remaining == 0
        return data

    async def _read_chunked(self) -> bytes:
        if self._chunk_left == 0:
            size_line = await self._reader.readline()
            if not size_line:
                raise asyncio.IncompleteReadError(b"", None)
            size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while (await self._reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                self._done = True
                return b""
            self._chunk_left = size
        data = await self._reader.read(min(self._chunk_left, READ_SIZE))
        if not data:
            raise asyncio.IncompleteReadError(b"", self._chunk_left)
        self._chunk_left -= len(data)
        if self._chunk_left == 0:
            await self._reader.readexactly(2)  # CRLF after the chunk data
        return data

    async def read_all(self) -> bytes:
        parts: list[bytes] = []
        while True:
            data = await self.read_chunk()
            if not data:
                return b"".join(parts)
            parts.append(data)
