"""The sandbox's HTTP/1.1 server on asyncio streams: keep-alive, Content-Length on every answer, quiet.

Measured on a 2-core machine, ``http.server.ThreadingHTTPServer`` spent about 205 µs of CPU per
keep-alive request and this server about 120 µs, CPU the crawler under test needs. Slow
answers (export and ticket event pages, control API) are computed on worker threads so they never stall the
comment requests of other connections. JSON and HTML answers are gzip-compressed for clients that accept it
(like Zendesk); file downloads never are. Request bodies must use Content-Length (no chunked uploads).

Two listeners share one :class:`App`: the account (``--host``, e.g. ``http://127.0.0.1:PORT``) and the content
host that serves attachment bytes (``--content-host``, by default ``http://127.0.0.2:PORT2``: Linux routes all of
127/8 to the loopback interface). The App tells them apart by the listening socket, not by ``Host``.
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
from .app import ACCOUNT, CONTENT, App, Config
from .encoding import dumps

MAX_HEAD = 65536
#: Smaller answers are sent uncompressed even when the client accepts gzip.
GZIP_MIN = 1024
_PHRASES = {status.value: status.phrase for status in HTTPStatus}


class ContentHostError(RuntimeError):
    """The content host's address cannot be bound (the sandbox refuses to start without it)."""


class BadHttp(Exception):
    """A request the server cannot parse; answered with ``status`` and the connection closed."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class Request:
    """The parts of an HTTP request the sandbox uses."""

    __slots__ = ("method", "target", "keep_alive", "authorization", "content_length", "gzip", "content_type")

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
        self.content_type = headers.get("content-type")
        self.gzip = "gzip" in headers.get("accept-encoding", "").lower()
        try:
            self.content_length = int(headers.get("content-length") or 0)
        except ValueError:
            raise BadHttp(400) from None


class SandboxServer:
    """Binds at construction (so the URL is known), builds the data, then serves until ``stop`` is set."""

    def __init__(self, config: Config) -> None:
        self.socket = _bind(config.host, config.port)
        try:
            self.content_socket = _bind(config.content_host, config.content_port)
        except OSError as exc:
            self.socket.close()
            raise ContentHostError(
                f"cannot listen on the content host {config.content_host}:{config.content_port} ({exc}). The sandbox "
                "serves attachment files from a second loopback address so that a client must not send credentials "
                "there. Linux routes all of 127.0.0.0/8 to lo; elsewhere add the address first (macOS: "
                "`sudo ifconfig lo0 alias 127.0.0.2`) or pass --content-host with an address this machine has."
            ) from exc
        self.base_url = _url(config.host, self.socket)
        self.content_url = _url(config.content_host, self.content_socket)
        self.app = App(config, self.base_url, self.content_url)
        gc.freeze()  # the generated state lives for the whole run: keep the cyclic GC from rescanning it
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sandbox")
        self._writers: set[asyncio.StreamWriter] = set()
        self._date = (0, "")

    async def serve(self, ready: asyncio.Event, stop: asyncio.Event) -> None:
        """Accept connections; set ``ready`` once listening; return after ``stop`` with every connection closed."""
        servers = [
            await asyncio.start_server(lambda r, w: self._connection(r, w, ACCOUNT), sock=self.socket, limit=MAX_HEAD),
            await asyncio.start_server(lambda r, w: self._connection(r, w, CONTENT), sock=self.content_socket,
                                       limit=MAX_HEAD),
        ]
        ready.set()
        await stop.wait()
        for server in servers:
            server.close()
        for writer in list(self._writers):
            writer.close()
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, site: str) -> None:
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._writers.add(writer)
        try:
            while await self._one_request(reader, writer, site):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _one_request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, site: str) -> bool:
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
        slow = path == api.EXPORT_PATH or path.startswith("/_sandbox/") or api.EVENTS_PATH.fullmatch(path)
        if site == CONTENT or slow:
            # slow answers (export pages, the truth, a file's first rendering) on a worker thread
            answer, delay, close = await asyncio.get_running_loop().run_in_executor(
                self._executor, self._respond, request, body, site)
        else:
            answer, delay, close = self._respond(request, body, site)
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

    def _respond(self, request: Request, body: bytes, site: str = ACCOUNT) -> tuple[bytes, float, bool]:
        """The bytes to send for a request, how long to hold them back, and whether to close after them."""
        method = "GET" if request.method == "HEAD" else request.method
        response, delay, cut = self.app.handle(method, request.target, request.authorization, body, site,
                                               request.content_type)
        if cut == "drop":
            return b"", delay, True
        if request.gzip and self.app.config.gzip and len(response.body) >= GZIP_MIN and _compressible(response):
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


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=1024)


def _url(host: str, sock: socket.socket) -> str:
    host = host if host not in ("0.0.0.0", "::") else "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{sock.getsockname()[1]}"


def _compressible(response: Response) -> bool:
    """JSON and HTML answers are gzipped for clients that accept it; files (and everything else) are not."""
    for name, value in response.headers:
        if name.lower() == "content-type":
            return value.startswith(("application/json", "text/html"))
    return False


def _gzipped(response: Response) -> Response:
    """The answer gzip-compressed, as Zendesk answers clients that accept it (fast level: CPU matters more)."""
    compressor = zlib.compressobj(1, zlib.DEFLATED, 31)
    body = compressor.compress(response.body) + compressor.flush()
    headers = [*response.headers, ("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")]
    return Response(response.status, headers, body)


def _error(status: int) -> Response:
    return Response(status, [JSON_TYPE], dumps({"error": _PHRASES[status]}))
