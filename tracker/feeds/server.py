"""The subscription server: calendar clients poll a unit's or a plan's feed by a secret URL.

    GET|HEAD /feeds/<token>/<unit-code>.ics     a unit's deadlines
    GET|HEAD /plans/<token>/<plan-key>.ics      a plan the token's unit is on (or coordinates)
    optional query: todo=1, role=lead|responsible (unit feeds), lang=zh|en, alarm=7d,1d

Starlette on uvicorn. Clients poll every few hours and mostly get 304: the strong ETag is the
hash of the bytes; Last-Modified comes from the feed_state table and never moves backwards, so
a removed task still counts as a change. If-None-Match is checked before If-Modified-Since.
A poll first reads the feed's fingerprint (one small statement); while it is unchanged the feed
last built is reused whole, and when it has changed only the changed events are serialised again.

The token is the secret: it never reaches a log (uvicorn's access log is off; our own log
masks it) and an unknown, malformed or revoked one gets a plain 404 that is not logged at all,
so probing leaves no trace and learns nothing. The URL's unit code must match the token's
unit, plan keys are looked up, never used as paths, so there is nothing to traverse.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from .. import clock
from ..errors import N_, TrackerError
from ..i18n import LANGUAGES
from ..service import feeds as service
from ..service.database import Database
from .ical import EventCache, FeedOptions, parse_alarms, plan_calendar, unit_calendar

log = logging.getLogger("tracker.feeds")

CONTENT_TYPE = "text/calendar; charset=utf-8"
# subscription URLs are secrets: keep them out of shared caches; clients revalidate by ETag
CACHE_CONTROL = "private, no-cache"
MAX_PATH = 512
MAX_HEADERS = 16 * 1024  # h11 refuses more while they trickle in; this refuses more arriving at once
TOUCH_EVERY = timedelta(hours=1)  # last_used_at is a hint, not worth a write per poll
_PLAN_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_QUERY = {"todo", "role", "lang", "alarm"}
_FINGERPRINTS = 100_000  # feeds whose fingerprint is remembered; beyond it, start afresh


def _not_found() -> Response:
    return PlainTextResponse("Not Found", status_code=404)


def _language(request, default: str) -> str:
    lang = request.query_params.get("lang", default)
    return lang if lang in LANGUAGES else default


class _BadQuery(TrackerError):
    """A feed address's query the server refuses (HTTP 400), worded in the ?lang= asked for."""


def _bad_query(exc: _BadQuery, request, default: str) -> Response:
    return PlainTextResponse(exc.words(_language(request, default)), status_code=400)


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:40] + '"'


def _etag_matches(header: str, etag: str) -> bool:
    """If-None-Match uses the weak comparison: W/"x" matches "x"."""
    if header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(candidate.strip().removeprefix("W/") == wanted for candidate in header.split(","))


def _not_modified_since(header: str, last_modified: datetime) -> bool:
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return False  # an unreadable date is ignored, as RFC 9110 asks
    if since is None:
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=timezone.utc)
    return last_modified <= since


@dataclass(frozen=True)
class _Built:
    fingerprint: tuple
    body: bytes
    etag: str


class FeedCache:
    """Whole feeds as last built, by feed and day, up to a total size; least recently used go first.
    A feed is reused only while its fingerprint (see service.feeds) is unchanged."""

    def __init__(self, max_bytes: int = 256 * 1024 * 1024):
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple, _Built] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = 0

    def get(self, key: tuple, fingerprint: tuple) -> _Built | None:
        with self._lock:
            built = self._items.get(key)
            if built is None or built.fingerprint != fingerprint:
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return built

    def put(self, key: tuple, built: _Built) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            self._size -= len(old.body) if old else 0
            if len(built.body) > self.max_bytes:
                return
            self._items[key] = built
            self._size += len(built.body)
            while self._size > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._size -= len(dropped.body)


class FeedServer:
    """The application and what it keeps between requests: the database, the serialised events,
    and the feeds last built."""

    def __init__(self, db: Database, *, lang: str = "zh", cache_size: int = 20_000, task_url: str | None = None,
                 feed_cache_bytes: int = 256 * 1024 * 1024):
        self.db = db
        self.lang = lang
        self.task_url = task_url
        self.cache = EventCache(cache_size)
        self.feeds = FeedCache(feed_cache_bytes)
        self._fingerprints: dict[tuple, tuple[tuple, tuple]] = {}  # by feed: (change marker, fingerprint)
        self._lock = threading.Lock()
        self.app = Starlette(routes=[
            Route("/feeds/{token}/{name}", self.unit_endpoint, methods=["GET", "HEAD"]),
            Route("/plans/{token}/{name}", self.plan_endpoint, methods=["GET", "HEAD"]),
        ])
        self.app.add_middleware(_Guard)

    # ------------------------------------------------------------------ requests

    def _options(self, request: Request, *, unit: bool) -> tuple[FeedOptions, str | None, str]:
        """Options from the query, and the suffix that tells this variant's state apart."""
        query = request.query_params
        unknown = set(query) - _QUERY
        if unknown:
            raise _BadQuery(N_("unknown query parameter {name!r}; use todo, role, lang, alarm"), name=sorted(unknown)[0])
        role = query.get("role")
        if role is not None and (not unit or role not in ("lead", "responsible")):
            raise _BadQuery(N_("role must be lead or responsible, and only on a unit's feed"))
        todo = query.get("todo")
        if todo not in (None, "0", "1", "true", "false"):
            raise _BadQuery(N_("todo must be 1 or 0"))
        lang = query.get("lang", self.lang)
        try:
            options = FeedOptions(lang=lang, todo=todo in ("1", "true"), alarms=parse_alarms(query.get("alarm")),
                                  task_url=self.task_url)
        except TrackerError as exc:
            raise _BadQuery(exc.template, **exc.fields) from None
        variant = "".join([f":{role}" if role else "", ":todo" if options.todo else "", f":{lang}",
                           ":alarm=" + ",".join(str(int(a.total_seconds())) for a in options.alarms)
                           if options.alarms else ""])
        return options, role, variant

    # A poll is answered on the event loop: its reads (change marker, token, feed state, and the
    # fingerprint when something changed) take well under a millisecond on an index, while a hop to
    # the thread pool and back cost several times that and, with many connections at once, a
    # database connection each. Building a feed and writing feed_state go to the thread pool:
    # they take long, or may wait for SQLite's write lock.

    async def unit_endpoint(self, request: Request) -> Response:
        token, name = request.path_params["token"], request.path_params["name"]
        today = clock.today()
        with self.db.reading() as session:
            marker = service.change_marker(session)  # first, so it describes what this session reads
            owner = service.unit_for_token(session, token)
            if owner is None or name != f"{owner.code}.ics":
                return _not_found()  # the token first: without it, nothing else is answered
            try:
                options, role, variant = self._options(request, unit=True)
            except _BadQuery as exc:
                return _bad_query(exc, request, self.lang)
            key = f"unit:{owner.unit_id}{variant}"
            fingerprint = self._fingerprint(session, marker, ("unit", owner.unit_id, role),
                                            lambda: service.unit_fingerprint(session, owner.unit_id, role))
            built = self.feeds.get((key, today), fingerprint)
            state = service.feed_state(session, key)
        if built is None:
            built = await run_in_threadpool(self._build_unit, (key, today), fingerprint, owner.unit_id, role,
                                            options, today)
        return await self._respond(request, key, built, state, owner)

    async def plan_endpoint(self, request: Request) -> Response:
        token, name = request.path_params["token"], request.path_params["name"]
        plan_key = name.removesuffix(".ics")
        if plan_key == name or not _PLAN_KEY.fullmatch(plan_key):
            return _not_found()
        today = clock.today()
        with self.db.reading() as session:
            marker = service.change_marker(session)
            owner = service.unit_for_token(session, token)
            if owner is None or not service.may_read_plan(session, owner.unit_id, plan_key):
                return _not_found()
            try:
                options, _, variant = self._options(request, unit=False)
            except _BadQuery as exc:
                return _bad_query(exc, request, self.lang)
            key = f"plan:{plan_key}{variant}"
            fingerprint = self._fingerprint(session, marker, ("plan", plan_key),
                                            lambda: service.plan_fingerprint(session, plan_key))
            built = self.feeds.get((key, today), fingerprint)
            state = service.feed_state(session, key)
        if built is None:
            built = await run_in_threadpool(self._build_plan, (key, today), fingerprint, plan_key, options, today)
        return await self._respond(request, key, built, state, owner)

    def _build_unit(self, key: tuple, fingerprint: tuple, unit_id: int, role: str | None, options: FeedOptions,
                    today) -> _Built:
        with self.db.reading() as session:
            feed = service.unit_feed(session, unit_id, role)
        return self._built(key, fingerprint, unit_calendar(feed, options, today, self.cache))

    def _build_plan(self, key: tuple, fingerprint: tuple, plan_key: str, options: FeedOptions, today) -> _Built:
        with self.db.reading() as session:
            feed = service.plan_feed(session, plan_key)
        return self._built(key, fingerprint, plan_calendar(feed, options, today, self.cache))

    def _fingerprint(self, session, marker: tuple | None, key: tuple, read) -> tuple:
        """The feed's fingerprint, read again only when some write has become visible since it
        was last read (see service.feeds.change_marker)."""
        if marker is not None:
            with self._lock:
                known = self._fingerprints.get(key)
            if known is not None and known[0] == marker:
                return known[1]
        fingerprint = read()
        # kept only if nothing became visible while it was read (PostgreSQL reads each statement
        # afresh under READ COMMITTED; SQLite's snapshot is the marker's)
        if marker is not None and service.change_marker(session) == marker:
            with self._lock:
                if len(self._fingerprints) >= _FINGERPRINTS:
                    self._fingerprints.clear()
                self._fingerprints[key] = (marker, fingerprint)
        return fingerprint

    def _built(self, key: tuple, fingerprint: tuple, body: bytes) -> _Built:
        # the fingerprint was read before the feed, so a change between the two only costs a rebuild
        built = _Built(fingerprint, body, _etag(body))
        self.feeds.put(key, built)
        return built

    def _settle(self, feed: str, etag: str, now: datetime, touch_token: int | None) -> datetime:
        with self.db.transaction() as session:
            last_modified = service.settle_feed_state(session, feed, etag, now)
            if touch_token is not None:
                service.touch_token(session, touch_token, now)
        return last_modified

    async def _respond(self, request: Request, feed: str, built: _Built, state, owner: service.TokenUnit) -> Response:
        etag = built.etag
        # HTTP dates are wall-clock facts about this server, not the plan's (pinnable) today
        now = datetime.now(timezone.utc)
        touch = owner.last_used_at is None or now - owner.last_used_at > TOUCH_EVERY
        if state is not None and state[0] == etag and not touch:
            last_modified = state[1]
        else:
            # only a changed feed (or an hourly token touch) writes
            last_modified = await run_in_threadpool(self._settle, feed, etag, now, owner.token_id if touch else None)
        # a change recorded a second ahead (two within one second) is not announced before it is due
        shown = min(last_modified, now.replace(microsecond=0))
        headers = {"ETag": etag, "Last-Modified": format_datetime(shown, usegmt=True),
                   "Cache-Control": CACHE_CONTROL, "X-Content-Type-Options": "nosniff"}
        if_none_match = request.headers.get("if-none-match")
        if if_none_match is not None:
            fresh = _etag_matches(if_none_match, etag)
        else:
            since = request.headers.get("if-modified-since")
            fresh = since is not None and _not_modified_since(since, last_modified)
        if fresh:
            return Response(status_code=304, headers=headers)
        headers["Content-Type"] = CONTENT_TYPE
        return Response(built.body, status_code=200, headers=headers)


class _Guard:
    """Bounds on what a request may be, and the access log with the token masked. Plain ASGI,
    so a refused request costs no routing and no thread."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refuse(scope)
        status = {}

        async def watch(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                # our own Date, taken after Last-Modified was, so the one is never later than the other
                # (uvicorn's is refreshed once a second and may lag)
                now = format_datetime(datetime.now(timezone.utc), usegmt=True).encode("latin-1")
                message = {**message, "headers": [*message.get("headers", []), (b"date", now)]}
            await send(message)

        started = time.perf_counter()
        if refusal is not None:
            await refusal(scope, receive, watch)
        else:
            await self.app(scope, receive, watch)
        code = status.get("code")
        if code != 404:  # a wrong token leaves no trace
            log.info("%s %s %s %.1fms", _printable(scope["method"].encode("latin-1", "replace"), 16),
                     logged_path(scope.get("raw_path") or scope["path"].encode("utf-8")), code,
                     (time.perf_counter() - started) * 1000)

    @staticmethod
    def _refuse(scope) -> Response | None:
        if (len(scope["path"]) > MAX_PATH or len(scope.get("raw_path") or b"") > 3 * MAX_PATH
                or len(scope.get("query_string", b"")) > MAX_PATH):
            return PlainTextResponse("URI Too Long", status_code=414)
        if sum(len(k) + len(v) for k, v in scope["headers"]) > MAX_HEADERS:
            return PlainTextResponse("Request Header Fields Too Large", status_code=431)
        headers = dict(scope["headers"])
        # what a refused body still sends is read and dropped, within the request's time (see _Protocol)
        if headers.get(b"content-length", b"0") not in (b"0", b"") or b"transfer-encoding" in headers:
            return PlainTextResponse("a feed request has no body", status_code=413)
        return None


# ---------------------------------------------------------------------- the access log

MAX_LOGGED_PATH = 200  # characters of a path the log shows; the rest is cut, and the cut is marked
MASK = "…"
# a subscription token is 43 characters of base64url; any run this long of them in one path
# segment (percent-decoded, as the router reads it) is taken for one, or for part of one
_TOKENISH = re.compile(rb"[A-Za-z0-9_-]{32,}")


def _escaped(raw: bytes) -> str:
    """Printable ASCII as it is; every other byte (control, escape, line break, non-ASCII) and the
    backslash as \\xNN, so one request is one log line that shows what was sent."""
    return "".join(chr(b) if 0x20 < b < 0x7F and b != 0x5C else f"\\x{b:02x}" for b in raw)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + MASK


def _printable(raw: bytes, limit: int) -> str:
    return _cut(_escaped(raw[:limit + 1]), limit)


def logged_path(raw: bytes) -> str:
    """The path as the log shows it: as it came (not percent-decoded), every segment that looks
    like a token (however it is written: //feeds/T, /x/T/y, %-escaped) masked, escaped, then cut."""
    from urllib.parse import unquote_to_bytes

    shown = "/".join(MASK if _TOKENISH.search(unquote_to_bytes(segment)) else _escaped(segment)
                     for segment in raw.split(b"/"))
    return _cut(shown, MAX_LOGGED_PATH)


# ---------------------------------------------------------------------- running it

REQUEST_TIMEOUT = 5.0  # seconds a client has from its request's first byte to its last
KEEP_ALIVE = 15  # seconds an idle connection is kept between requests
MAX_CONNECTIONS = 1000  # open at once; lowered to what the process's file descriptors allow
_SPARE_DESCRIPTORS = 64  # kept for the database, the log and the listening socket


def within_descriptors(max_connections: int) -> int:
    """`max_connections`, or fewer when the process may not open that many files (ulimit -n):
    past that bound accept() fails and nobody is answered."""
    try:
        import resource

        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):  # not a POSIX system: nothing to ask
        return max_connections
    if soft == resource.RLIM_INFINITY:
        return max_connections
    return max(1, min(max_connections, soft - _SPARE_DESCRIPTORS))


class _Limit:
    """At most `limit` requests being answered at once; beyond it, 503 at once rather than an
    ever-growing queue. Only requests count: a connection counts once its request has arrived
    whole, not while it sits idle between requests or is still sending one (uvicorn's own
    limit_concurrency counts every open connection, so a few slow clients locked everyone out)."""

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit
        self.active = 0
        self.refused = 0
        self._warned = 0.0

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.active >= self.limit:
            self.refused += 1
            now = time.monotonic()
            if now - self._warned > 10:  # a sign the limit is reached, not a line per request
                self._warned = now
                log.warning("%d requests at once, the limit (--concurrency): answering 503 (%d so far)",
                            self.active, self.refused)
            await PlainTextResponse("Service Unavailable", status_code=503, headers={"Retry-After": "5"})(
                scope, receive, send)
            return
        self.active += 1  # one event loop: no lock needed
        try:
            await self.app(scope, receive, send)
        finally:
            self.active -= 1


# said to a connection past --max-connections before it is closed (it has sent nothing yet)
_FULL = (b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nConnection: close\r\n"
         b"Content-Length: 0\r\n\r\n")


def _protocol(request_timeout: float, max_connections: int):
    """uvicorn's h11 protocol with a deadline on receiving each request: from a connection's
    opening, or a request's first byte, until its head and body are in, `request_timeout`
    seconds; a client slower than that (trickling its headers, or nothing at all) is closed.
    uvicorn bounds an idle keep-alive connection (timeout_keep_alive) but neither a connection
    that never completes a request nor one that sends nothing.

    And a bound on open connections: past `max_connections` a new one is told 503 and closed at
    once, so a crowd of connections cannot take every file descriptor the process has (accept()
    failing with EMFILE), which would stop the server answering anyone."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    refused = {"count": 0, "warned": 0.0}

    class Protocol(H11Protocol):
        _deadline = None

        def connection_made(self, transport) -> None:
            super().connection_made(transport)  # joins the server's set of connections
            if len(self.connections) > max_connections:
                refused["count"] += 1
                now = time.monotonic()
                if now - refused["warned"] > 10:  # a sign the bound is reached, not a line per connection
                    refused["warned"] = now
                    log.warning("%d connections open, the limit (--max-connections): closing new ones "
                                "(%d so far)", max_connections, refused["count"])
                transport.write(_FULL)
                transport.close()
                return
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self._deadline is None and self.conn.their_state is h11.IDLE:
                self._arm()  # a new request begins (after keep-alive, or pipelined)
            super().data_received(data)
            if self.conn.their_state is not h11.IDLE and self.conn.their_state is not h11.SEND_BODY:
                self._disarm()  # in whole: the response may take its time

        def connection_lost(self, exc) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(request_timeout, self._too_slow)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _too_slow(self) -> None:
            self._deadline = None
            if self.conn.their_state in (h11.IDLE, h11.SEND_BODY) and not self.transport.is_closing():
                self.transport.close()

    return Protocol


def uvicorn_config(app, host: str, port: int, *, concurrency: int = 64, request_timeout: float = REQUEST_TIMEOUT,
                   max_connections: int = MAX_CONNECTIONS):
    import uvicorn

    return uvicorn.Config(
        _Limit(app, concurrency), host=host, port=port, access_log=False, log_level="warning",
        backlog=256, timeout_keep_alive=KEEP_ALIVE,
        # h11 rather than httptools: its bound on a request's head still being received is explicit
        # (a feed request has no body), and calendar polling needs no more speed than it gives
        http=_protocol(request_timeout, max_connections), h11_max_incomplete_event_size=MAX_HEADERS,
        server_header=False, date_header=False,
    )


def serve(db: Database, host: str, port: int, *, lang: str = "zh", concurrency: int = 64,
          cache_size: int = 20_000, feed_cache_bytes: int = 256 * 1024 * 1024, task_url: str | None = None,
          request_timeout: float = REQUEST_TIMEOUT, max_connections: int = MAX_CONNECTIONS) -> None:
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    allowed = within_descriptors(max_connections)
    if allowed < max_connections:
        log.warning("--max-connections %d lowered to %d: the process may open %d files (ulimit -n)",
                    max_connections, allowed, allowed + _SPARE_DESCRIPTORS)
        max_connections = allowed
    server = FeedServer(db, lang=lang, cache_size=cache_size, task_url=task_url, feed_cache_bytes=feed_cache_bytes)
    uvicorn.Server(uvicorn_config(server.app, host, port, concurrency=concurrency,
                                  request_timeout=request_timeout, max_connections=max_connections)).run()


@contextmanager
def running(server: FeedServer, host: str = "127.0.0.1", port: int = 0, *, concurrency: int = 64,
            request_timeout: float = REQUEST_TIMEOUT, max_connections: int = MAX_CONNECTIONS):
    """The server (or anything with an ASGI `app`) on a real socket in a background thread (tests,
    benchmarks); yields its base URL."""
    import socket

    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    config = uvicorn_config(server.app, host, sock.getsockname()[1], concurrency=concurrency,
                            request_timeout=request_timeout, max_connections=max_connections)
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the feed server did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        instance.should_exit = True
        thread.join(timeout=10)
        sock.close()
