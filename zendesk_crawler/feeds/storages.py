"""Feed storage for local files that never leaves a half-written file where finished exports live."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import IO, Any

from scrapy.extensions.feedexport import FileFeedStorage

from zendesk_crawler.location.files import PARTIAL_DIR, fsync_directory

logger = logging.getLogger(__name__)



class AtomicFileFeedStorage(FileFeedStorage):
    """Writes each feed file under ``.partial/`` beside its final name and renames it into place when stored.

    Scrapy's ``FileFeedStorage`` writes straight to the final path, so a run
    killed mid-file leaves a truncated JSON or XML file among the complete
    ones. Here a file appears under its final name only once complete and
    fsynced. (Appending to an existing file, ``-o`` on a file that exists,
    keeps Scrapy's behaviour.)
    """

    def __init__(self, uri: str, *, feed_options: dict[str, Any] | None = None) -> None:
        super().__init__(uri, feed_options=feed_options)
        self.final_path = Path(self.path)
        self.partial_path: Path | None = None

    def open(self, spider: Any) -> IO[bytes]:
        if self.write_mode == "ab" and self.final_path.exists():
            return super().open(spider)
        self.partial_path = self.final_path.parent / PARTIAL_DIR / self.final_path.name
        self.partial_path.parent.mkdir(parents=True, exist_ok=True)
        return self.partial_path.open("wb")

    def store(self, file: IO[bytes]) -> None:
        file.flush()
        os.fsync(file.fileno())
        file.close()
        if self.partial_path is not None:
            os.replace(self.partial_path, self.final_path)
            fsync_directory(self.final_path.parent)
            try:
                self.partial_path.parent.rmdir()  # only when no other file is in progress
            except OSError:
                pass


    def discard(self) -> None:
        """Remove the partial file of a feed that is not to be stored (closed by the caller)."""
        if self.partial_path is not None:
            self.partial_path.unlink(missing_ok=True)
