"""Per-ticket facts a whole run keeps, in a few bytes a ticket: a set of ticket ids and a map id → version.

Zendesk's ticket ids are an account's running numbers, so the ids a run meets
lie close together. Both structures keep fixed-size chunks of consecutive ids:
a dense account costs a bit (the set) or eight bytes (the map) a ticket instead
of the hundred or so a Python ``set`` or ``dict`` entry takes. Values a chunk
cannot hold (a negative id, a version that is not a whole second) go to a small
ordinary ``dict`` beside it.
"""

from __future__ import annotations

from array import array
from typing import Any

#: Ids per chunk of :class:`TicketIdSet` (512 bytes a chunk).
SET_CHUNK = 4096
#: Ids per chunk of :class:`TicketVersionMap` (2 KiB a chunk).
MAP_CHUNK = 256
#: The map's "not seen" slot (no ``updated_at`` in seconds is this).
_EMPTY = -(2**63)


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class TicketIdSet:
    """A set of ticket ids as bits, in chunks of :data:`SET_CHUNK` consecutive ids; other values in a ``set``."""

    def __init__(self) -> None:
        self._chunks: dict[int, bytearray] = {}
        self._others: set[Any] = set()
        self._size = 0

    def add(self, ticket_id: Any) -> None:
        if not _is_id(ticket_id):
            self._others.add(ticket_id)
            return
        chunk_no, offset = divmod(ticket_id, SET_CHUNK)
        chunk = self._chunks.get(chunk_no)
        if chunk is None:
            chunk = self._chunks[chunk_no] = bytearray(SET_CHUNK // 8)
        byte, bit = divmod(offset, 8)
        if not chunk[byte] & (1 << bit):
            chunk[byte] |= 1 << bit
            self._size += 1

    def update(self, ticket_ids: Any) -> None:
        for ticket_id in ticket_ids:
            self.add(ticket_id)

    def __contains__(self, ticket_id: Any) -> bool:
        if not _is_id(ticket_id):
            try:
                return ticket_id in self._others
            except TypeError:  # an unhashable value is no ticket id
                return False
        chunk_no, offset = divmod(ticket_id, SET_CHUNK)
        chunk = self._chunks.get(chunk_no)
        return chunk is not None and bool(chunk[offset // 8] & (1 << (offset % 8)))

    def __len__(self) -> int:
        return self._size + len(self._others)


class TicketVersionMap:
    """Ticket id → version (``updated_at`` in unix seconds, or whatever else it was), eight bytes a ticket."""

    def __init__(self) -> None:
        self._chunks: dict[int, array[int]] = {}
        self._others: dict[Any, Any] = {}

    def get(self, ticket_id: int, default: Any = None) -> Any:
        if ticket_id in self._others:
            return self._others[ticket_id]
        if not _is_id(ticket_id):
            return default
        chunk_no, offset = divmod(ticket_id, MAP_CHUNK)
        chunk = self._chunks.get(chunk_no)
        if chunk is None or chunk[offset] == _EMPTY:
            return default
        return chunk[offset]

    def __contains__(self, ticket_id: int) -> bool:
        return self.get(ticket_id, _MISSING) is not _MISSING

    def __setitem__(self, ticket_id: int, version: Any) -> None:
        fits = _is_id(ticket_id) and isinstance(version, int) and not isinstance(version, bool) \
            and _EMPTY < version < 2**63
        if not fits:
            self._forget_in_chunk(ticket_id)
            self._others[ticket_id] = version
            return
        self._others.pop(ticket_id, None)
        chunk_no, offset = divmod(ticket_id, MAP_CHUNK)
        chunk = self._chunks.get(chunk_no)
        if chunk is None:
            chunk = self._chunks[chunk_no] = array("q", [_EMPTY]) * MAP_CHUNK
        chunk[offset] = version

    def _forget_in_chunk(self, ticket_id: Any) -> None:
        if _is_id(ticket_id):
            chunk = self._chunks.get(ticket_id // MAP_CHUNK)
            if chunk is not None:
                chunk[ticket_id % MAP_CHUNK] = _EMPTY


_MISSING = object()
