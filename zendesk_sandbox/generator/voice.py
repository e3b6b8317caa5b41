"""Voice comments: the call's data (answered, voicemail, no recording) and its recording, served from the content
host like an attachment."""

from __future__ import annotations

from typing import Any, NamedTuple

from .. import attachments as files
from .. import content
from ..encoding import dumps, iso
from .layout import RECORDING_OFFSET
from .options import Options
from .randomness import DrawRandom
from .states import TicketState
from .users import Users

#: A voice comment's ``via`` by ``source.rel``.
VOICE_VIA = {rel: b'{"channel":"voice","source":{"from":{},"to":{},"rel":"%s"}}' % rel.encode()
             for rel in ("inbound", "voicemail", "outbound")}


class Recording(NamedTuple):
    """The recording of a voice comment: its id (``comment id + 2``), the catalog file, the call SID."""

    id: int
    file: int
    sid: str


class Voice:
    """Voice comments' calls and recordings."""

    def __init__(self, options: Options, catalog: files.Catalog, tokens: files.Tokens, users: Users) -> None:
        self.options = options
        self.catalog = catalog
        self.tokens = tokens
        self.users = users
        self._base_url = options.base_url.encode("ascii")

    def recording_url(self, recording: Recording) -> bytes:
        """A voice comment's ``recording_url``: on the account host, redirecting to the content host."""
        return b"%s/api/v2/channels/voice/calls/%s/twilio/call/recording" % (self._base_url, recording.sid.encode())

    def call(self, state: TicketState, comment_id: int, created_at: int, case: str,
             agent: int) -> tuple[Recording | None, bytes]:
        """A voice comment's recording and its members after ``metadata``: ``data`` (the call), ``formatted_from``,
        ``formatted_to``, ``transcription_visible``. ``case``: ``answered`` (an agent took the call, recorded),
        ``voicemail`` (recorded, transcribed, no ``answered_by_id``), ``no_recording`` (``recording_url`` null),
        ``no_recording_absent`` (no ``recording_url`` member at all)."""
        rng = DrawRandom(b"%d,voice,%d" % (self.options.seed, comment_id))
        caller = 100 + rng.randrange(9800)
        recording = None
        data: dict[str, Any] = {"from": f"+1415555{caller:04d}", "to": "+14155550100"}
        duration = 20 + rng.randrange(900)
        if case in ("answered", "voicemail"):
            recording = Recording(comment_id + RECORDING_OFFSET, self.catalog.recording_key(rng.random()),
                                  self.tokens.call_sid(comment_id + RECORDING_OFFSET))
            data["recording_url"] = self.recording_url(recording).decode("ascii")
            data["recording_duration"] = str(self.catalog.spec(recording.file).size // 16000)
        elif case == "no_recording":
            data["recording_url"] = None
        data["call_duration"] = duration
        data["call_id"] = comment_id + RECORDING_OFFSET
        if case in ("answered", "no_recording"):
            data["answered_by_id"] = agent
            data["answered_by_name"] = self.users.identity(agent)[0]
        if case == "voicemail":
            data["transcription_text"] = rng.choice(content.SCRIPTS)
            data["transcription_status"] = "completed"
        data["started_at"] = iso(max(state.created_at, created_at - duration))
        data["location"] = rng.choice(("San Francisco, California, United States", "Zürich, Zürich, Schweiz",
                                       "القاهرة, مصر", None))
        data["voice_transcription"] = case == "voicemail"
        data["outbound"] = False
        members = b',"data":%s,"formatted_from":"+1 (415) 555-%04d","formatted_to":"+1 (415) 555-0100",' \
                  b'"transcription_visible":%s' % (dumps(data), caller, b"true" if case == "voicemail" else b"false")
        return recording, members
