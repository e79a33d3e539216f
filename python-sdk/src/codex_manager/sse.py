"""A Server-Sent Events decoder (the WHATWG event-stream format), fed bytes as they arrive."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

__all__ = ["SSEDecoder", "SSEMessage"]


@dataclass(frozen=True)
class SSEMessage:
    event: str
    data: str
    id: str | None
    retry: int | None = None


class SSEDecoder:
    """Bytes in, complete messages out. Lines may end in CRLF, LF or CR and may be split anywhere,
    including inside a UTF-8 sequence or between CR and LF. Comments (`: ping`) are dropped."""

    def __init__(self) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._event = ""
        self._data: list[str] = []
        self._id: str | None = None
        self._retry: int | None = None
        self._last_id: str | None = None
        self._skip_lf = False

    @property
    def last_event_id(self) -> str | None:
        return self._last_id

    def feed(self, chunk: bytes) -> list[SSEMessage]:
        text = self._utf8.decode(chunk)
        if self._skip_lf and text.startswith("\n"):
            text = text[1:]
        self._skip_lf = False
        self._buffer += text
        out: list[SSEMessage] = []
        while True:
            cut = _line_end(self._buffer)
            if cut is None:
                break
            end, width = cut
            line = self._buffer[:end]
            if width == 1 and self._buffer[end] == "\r" and end + 1 == len(self._buffer):
                self._skip_lf = True  # a CR at the end of the chunk may be half of a CRLF
            self._buffer = self._buffer[end + width :]
            message = self._line(line)
            if message is not None:
                out.append(message)
        return out

    def _line(self, line: str) -> SSEMessage | None:
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id":
            if "\0" not in value:
                self._id = value
        elif name == "retry" and value.isdigit():
            self._retry = int(value)
        return None

    def _dispatch(self) -> SSEMessage | None:
        if self._id is not None:
            self._last_id = self._id
        if not self._data:
            self._event, self._id = "", None
            return None
        message = SSEMessage(self._event or "message", "\n".join(self._data), self._id, self._retry)
        self._event, self._data, self._id, self._retry = "", [], None, None
        return message


def _line_end(buffer: str) -> tuple[int, int] | None:
    """Index and width of the first line terminator, or None when the line is incomplete."""
    cr = buffer.find("\r")
    lf = buffer.find("\n")
    if cr == -1 and lf == -1:
        return None
    if cr == -1 or (lf != -1 and lf < cr):
        return lf, 1
    if cr + 1 < len(buffer) and buffer[cr + 1] == "\n":
        return cr, 2
    return cr, 1
