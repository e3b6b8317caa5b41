"""Whether the attachment files a backup's records name are in the backup: ``stored_file.path`` under ``attachments/``.

Files are content-addressed (``attachments/<sha256[:2]>/<sha256>``, ``pipelines/attachments.py``),
so a file that is there under its name holds the bytes of its ``sha256``: it is looked for, not
read. Locally each path is looked up on the file system; on S3 the ``attachments/`` prefix is
listed once (one short string a stored file is kept).
"""

from __future__ import annotations

from zendesk_crawler.location.reader import ExportLocation, LocalLocation, S3Location, safe_relative_path

PREFIX = "attachments/"


class StoredFiles:
    """The attachment files present in one backup location."""

    def __init__(self, location: ExportLocation) -> None:
        self.location = location
        self._listed: set[str] | None = None

    def present(self, path: str) -> bool:
        """Whether ``path`` (relative to the location) is a stored file of it."""
        if not path.startswith(PREFIX) or safe_relative_path(path) is None:
            return False
        if isinstance(self.location, LocalLocation):
            return (self.location.root / path).is_file()
        if self._listed is None:
            self._listed = self._list()
        return path in self._listed

    def _list(self) -> set[str]:
        if not isinstance(self.location, S3Location):
            return set()
        listed: set[str] = set()
        paginator = self.location.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.location.bucket, Prefix=self.location.prefix + PREFIX):
            listed.update(entry["Key"][len(self.location.prefix):] for entry in page.get("Contents", []))
        return listed
