"""A Server-Sent Events decoder (the WHATWG event-stream format), fed bytes as they arrive."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

__all__ = ["SSEDecoder", "SSEMessage"]

_EOL = re.compile(r"\r\n|\r|\n")


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
        buffer = self._buffer + text
        out: list[SSEMessage] = []
        pos = 0
        # One pass with a moving index: slicing the rest of the buffer after every line would copy
        # a 64 KiB chunk hundreds of times.
        for end in _EOL.finditer(buffer):
            if end.group() == "\r" and end.end() == len(buffer):
                self._skip_lf = True  # a CR at the end of the chunk may be half of a CRLF
            message = self._line(buffer[pos : end.start()])
            pos = end.end()
            if message is not None:
                out.append(message)
        self._buffer = buffer[pos:]
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
