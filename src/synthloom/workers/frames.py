"""Length-prefixed pickled messages over a pipe; both ends are synthloom's own processes, so
the pickles are trusted (nothing from a recipe or a model is unpickled here)."""

from __future__ import annotations

import pickle
import struct
from typing import IO, Any

_HEADER = struct.Struct(">Q")


def pack(message: Any) -> bytes:
    """The frame of one message; pickling fails here, before anything is written."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(data)) + data


def send(stream: IO[bytes], message: Any) -> None:
    stream.write(pack(message))
    stream.flush()


def _read_exactly(stream: IO[bytes], size: int) -> bytes | None:
    chunks = []
    while size:
        chunk = stream.read(size)
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def receive(stream: IO[bytes]) -> tuple[bool, Any]:
    """(True, message), or (False, None) when the other end closed the pipe."""
    header = _read_exactly(stream, _HEADER.size)
    if header is None:
        return False, None
    data = _read_exactly(stream, _HEADER.unpack(header)[0])
    if data is None:
        return False, None
    return True, pickle.loads(data)
