"""Python SDK for Codex Manager (standard library only).

    from codex_manager import CodexManager

    cm = CodexManager()                      # profile / CM_URL / http://127.0.0.1:8787
    session = cm.sessions.create()["session"]
    result = cm.wait.send_message_and_wait_reply(session["id"], "Hello")
    print(result.status, result.reply)

`AsyncCodexManager` has the same groups and methods, awaited. See docs/python.md.
"""

from ._version import __version__
from ._inbox_core import INBOX_KINDS, InboxItem, InboxRemoval
from .async_client import AsyncCodexManager
from .async_inbox import AsyncInbox
from .async_stream import AsyncEventStream
from .client import CodexManager
from .config import ClientConfig, ConfigError, InsecureProfileFileWarning, resolve_config, save_profile
from .errors import *  # noqa: F403 - every exception class
from .errors import __all__ as _errors
from .events import Event, PendingRequest
from .inbox import Inbox
from .skill_session import AsyncSkillSession, SkillSession, ToolCall
from .skills import Skills, Tool, ToolResult
from .stream import EventStream
from .turns import TurnResult

__all__ = [
    "AsyncCodexManager",
    "AsyncEventStream",
    "AsyncInbox",
    "AsyncSkillSession",
    "ClientConfig",
    "CodexManager",
    "ConfigError",
    "Event",
    "EventStream",
    "INBOX_KINDS",
    "Inbox",
    "InboxItem",
    "InboxRemoval",
    "InsecureProfileFileWarning",
    "PendingRequest",
    "SkillSession",
    "Skills",
    "Tool",
    "ToolCall",
    "ToolResult",
    "TurnResult",
    "__version__",
    "resolve_config",
    "save_profile",
    *_errors,
]
