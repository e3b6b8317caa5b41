"""The sandbox's HTTP/1.1 server on asyncio streams: keep-alive, Content-Length on every answer, quiet.

Measured on a 2-core machine, ``http.server.ThreadingHTTPServer`` spent about 205 µs of CPU per
keep-alive request and this server about 120 µs, CPU the crawler under test needs. Slow
answers (export and ticket event pages, control API) are computed on worker threads so they never stall the
comment requests of other connections. Answers are gzip-compressed for clients that accept it
(like Zendesk). Request bodies must use Content-Length (no chunked uploads).
"""

from __future__ import annotations

import asyncio
import gc
import socket
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from email.utils import formatdate
from http import HTTPStatus

from . import api
from .api import JSON_TYPE, Response
from .app import App, Config
from .generator import dumps

MAX_HEAD = 65536
#: Smaller answers are sent uncompressed even when the client accepts gzip.
GZIP_MIN = 1024
_PHRASES = {status.value: status.phrase for status in HTTPStatus}


class BadHttp(Exception):
    """A request the server cannot parse; answered with ``status`` and the connection closed."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class Request:
    """The parts of an HTTP request the sandbox uses."""

    __slots__ = ("method", "target", "keep_alive", "authorization", "content_length", "gzip")

    def __init__(self, head: bytes) -> None:
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise BadHttp(400)
        self.method, target, version = parts
        if target.startswith(("http://", "https://")):  # absolute form: keep only the path and query
            target = "/" + target.split("/", 3)[3] if target.count("/") >= 3 else "/"
        self.target = target
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.setdefault(name.strip().lower(), value.strip())
        if "chunked" in headers.get("transfer-encoding", "").lower():
            raise BadHttp(501)
        connection = headers.get("connection", "").lower()
        self.keep_alive = "close" not in connection if version == "HTTP/1.1" else "keep-alive" in connection
        self.authorization = headers.get("authorization")
        self.gzip = "gzip" in headers.get("accept-encoding", "").lower()
        try:
            self.content_length = int(headers.get("content-length") or 0)
        except ValueError:
            raise BadHttp(400) from None


class SandboxServer:
    """Binds at construction (so the URL is known), builds the data, then serves until ``stop`` is set."""

    def __init__(self, config: Config) -> None:
        family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
        self.socket = socket.create_server((config.host, config.port), family=family, backlog=1024)
        host = config.host if config.host not in ("0.0.0.0", "::") else "127.0.0.1"
        host = f"[{host}]" if ":" in host else host
        self.base_url = f"http://{host}:{self.socket.getsockname()[1]}"
        self.app = App(config, self.base_url)
        gc.freeze()  # the generated state lives for the whole run: keep the cyclic GC from rescanning it
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sandbox")
        self._writers: set[asyncio.StreamWriter] = set()
        self._date = (0, "")

    async def serve(self, ready: asyncio.Event, stop: asyncio.Event) -> None:
        """Accept connections; set ``ready`` once listening; return after ``stop`` with every connection closed."""
        server = await asyncio.start_server(self._connection, sock=self.socket, limit=MAX_HEAD)
        ready.set()
        await stop.wait()
        server.close()
        for writer in list(self._writers):
            writer.close()
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._writers.add(writer)
        try:
            while await self._one_request(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _one_request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Answer one request; False when the connection is to be closed."""
        try:
            request = Request(await reader.readuntil(b"\r\n\r\n"))
        except asyncio.LimitOverrunError:
            writer.write(self._serialize(_error(431), keep_alive=False, with_body=True))
            return False
        except BadHttp as exc:
            writer.write(self._serialize(_error(exc.status), keep_alive=False, with_body=True))
            return False
        body = await reader.readexactly(request.content_length) if request.content_length else b""
        path = request.target.partition("?")[0]
        if path == api.EXPORT_PATH or path.startswith("/_sandbox/") or api.EVENTS_PATH.fullmatch(path):
            answer, delay, close = await asyncio.get_running_loop().run_in_executor(
                self._executor, self._respond, request, body)
        else:
            answer, delay, close = self._respond(request, body)
        if delay:
            await asyncio.sleep(delay)
        if answer:
            writer.write(answer)
        if close:  # a drop or truncate fault: what was written goes out, then the connection ends
            await writer.drain()
            return False
        if writer.transport.get_write_buffer_size() > 1 << 16:
            await writer.drain()
        return request.keep_alive

    def _respond(self, request: Request, body: bytes) -> tuple[bytes, float, bool]:
        """The bytes to send for a request, how long to hold them back, and whether to close after them."""
        method = "GET" if request.method == "HEAD" else request.method
        response, delay, cut = self.app.handle(method, request.target, request.authorization, body)
        if cut == "drop":
            return b"", delay, True
        if request.gzip and self.app.config.gzip and len(response.body) >= GZIP_MIN:
            response = _gzipped(response)
        with_body = request.method != "HEAD"
        data = self._serialize(response, request.keep_alive, with_body=with_body)
        if cut == "truncate":  # the full Content-Length is announced, only half the body is sent
            sent = len(data) - len(response.body) // 2 - len(response.body) % 2 if with_body else len(data)
            return data[:sent], delay, True
        return data, delay, False

    def _serialize(self, response: Response, keep_alive: bool, with_body: bool) -> bytes:
        now = int(time.time())
        if self._date[0] != now:
            self._date = (now, formatdate(now, usegmt=True))
        lines = [f"HTTP/1.1 {response.status} {_PHRASES.get(response.status, '')}", f"Date: {self._date[1]}",
                 f"Content-Length: {len(response.body)}"]
        lines += [f"{name}: {value}" for name, value in response.headers]
        if not keep_alive:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        return head + response.body if with_body else head


def _gzipped(response: Response) -> Response:
    """The answer gzip-compressed, as Zendesk answers clients that accept it (fast level: CPU matters more)."""
    compressor = zlib.compressobj(1, zlib.DEFLATED, 31)
    body = compressor.compress(response.body) + compressor.flush()
    return Response(response.status, [*response.headers, ("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")], body)


def _error(status: int) -> Response:
    return Response(status, [JSON_TYPE], dumps({"error": _PHRASES[status]}))
