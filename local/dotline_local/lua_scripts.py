"""Lua scripts written for Upstash made acceptable to a stock redis-server, SHA1s kept stable."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

# The shebang flags redis-server knows (7.0 and later). Upstash adds its own, such as
# `allow-key-locking` in upstash-ratelimit's scripts, which redis-server rejects outright.
REDIS_SCRIPT_FLAGS = frozenset(
    {"no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"}
)
_EVAL = {b"EVAL", b"EVAL_RO"}
_EVALSHA = {b"EVALSHA", b"EVALSHA_RO"}

ReplyFix = Callable[[Any], Any]


def compatible_script(script: str) -> str:
    """The script with shebang flags this Redis does not know removed; others untouched."""
    first, newline, rest = script.partition("\n")
    if not first.startswith("#!"):
        return script
    engine, *options = first[2:].split()
    kept: list[str] = []
    for option in options:
        name, _, value = option.partition("=")
        if name != "flags":
            kept.append(option)
            continue
        flags = [f for f in value.split(",") if f in REDIS_SCRIPT_FLAGS]
        if flags:
            kept.append("flags=" + ",".join(flags))
    shebang = " ".join([f"#!{engine}", *kept])
    return shebang + newline + rest


def sha1_hex(script: bytes) -> str:
    return hashlib.sha1(script).hexdigest()  # noqa: S324 (Redis names scripts by SHA1)


class ScriptShas:
    """Rewrites EVAL/EVALSHA/SCRIPT commands; clients keep using the SHA1 of the script they
    sent, mapped here to the SHA1 of the script Redis actually holds.

    The map lives in this process: after a restart an EVALSHA of a rewritten script gets
    NOSCRIPT, which is what SDKs already handle (they fall back to EVAL, which maps it again).
    """

    def __init__(self) -> None:
        self._redis_sha: dict[bytes, bytes] = {}

    def translate(self, args: list[bytes]) -> tuple[list[bytes], ReplyFix | None]:
        """The command to send, and a fix to apply to its reply (or None)."""
        name = args[0].upper()
        if name in _EVAL and len(args) > 1:
            return [args[0], self._load(args[1]), *args[2:]], None
        if name in _EVALSHA and len(args) > 1:
            return [args[0], self._sha(args[1]), *args[2:]], None
        if name == b"SCRIPT" and len(args) > 2:
            sub = args[1].upper()
            if sub == b"LOAD":
                original = sha1_hex(args[2]).encode()
                # Redis replies with the SHA1 of what it stored; the client expects its own.
                return [args[0], args[1], self._load(args[2])], lambda _reply: original
            if sub == b"EXISTS":
                return [args[0], args[1], *(self._sha(sha) for sha in args[2:])], None
        return args, None

    def _load(self, script: bytes) -> bytes:
        try:
            text = script.decode("utf-8")
        except UnicodeDecodeError:
            return script
        rewritten = compatible_script(text).encode("utf-8")
        if rewritten != script:
            self._redis_sha[sha1_hex(script).encode()] = sha1_hex(rewritten).encode()
        return rewritten

    def _sha(self, sha: bytes) -> bytes:
        return self._redis_sha.get(sha.lower(), sha)
