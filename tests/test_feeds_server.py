"""The subscription server over real HTTP: uvicorn on a free loopback port, httpx as the client."""

from __future__ import annotations

import logging
import socket
from datetime import date
from email.utils import parsedate_to_datetime

import httpx
import pytest
from icalendar import Calendar

from tracker import clock, service
from tracker.feeds.ical import FeedOptions, unit_calendar
from tracker.feeds.server import FeedServer, running
from tracker.service.loading import load_paths
from tracker.service import feeds

from .feeds_support import CLIENT_ZONES, QINGDAO, YEARLY, client_timezone, plans_folder
from .recording import record

TODAY = date(2022, 6, 1)


@pytest.fixture
def served(db, tmp_path, caplog):
    """A loaded database (from an editable copy of the plans), a token for 青岛市 市发展改革委,
    and the server running."""
    caplog.set_level(logging.INFO, logger="tracker.feeds")
    folder = plans_folder(tmp_path)
    load_paths(db, [folder])
    clock.pin(TODAY)
    with db.transaction() as session:
        unit = service.find_unit(session, "市发改委", "青岛市")
        token = feeds.issue_token(session, unit)
        code = feeds.unit_code("青岛市", "市发展改革委")
    server = FeedServer(db)
    with running(server) as base, httpx.Client(base_url=base, timeout=10) as client:
        yield dict(db=db, folder=folder, token=token, code=code, server=server, client=client,
                   url=f"/feeds/{token}/{code}.ics", unit_id=unit.id, caplog=caplog)


@pytest.mark.parametrize("zone", CLIENT_ZONES)
def test_a_feed_then_not_modified(served, zone):
    """The client may sit anywhere: its dates and the HTTP dates read the same."""
    with client_timezone(zone):
        _a_feed_then_not_modified(served)


def _a_feed_then_not_modified(served):
    client, url = served["client"], served["url"]
    first = client.get(url)
    assert first.status_code == 200
    assert first.headers["content-type"] == "text/calendar; charset=utf-8"
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    assert first.headers["cache-control"] == "private, no-cache"
    last_modified = parsedate_to_datetime(first.headers["last-modified"])
    assert last_modified <= parsedate_to_datetime(first.headers["date"])
    with served["db"].reading() as session:
        expected = unit_calendar(feeds.unit_feed(session, served["unit_id"]), FeedOptions(), TODAY)
    assert first.content == expected
    events = Calendar.from_ical(first.content).walk("VEVENT")
    assert len(events) == 11 and {e.decoded("DTSTART") for e in events} == {date(2022, 12, 31)}

    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert client.get(url, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    since = client.get(url, headers={"If-Modified-Since": first.headers["last-modified"]})
    assert since.status_code == 304
    # If-None-Match decides when both are sent
    both = client.get(url, headers={"If-None-Match": '"stale"', "If-Modified-Since": first.headers["last-modified"]})
    assert both.status_code == 200 and both.content == first.content
    head = client.head(url)
    assert head.status_code == 200 and head.content == b"" and int(head.headers["content-length"]) == len(first.content)
    assert head.headers["etag"] == etag


def test_a_status_update_gives_new_bytes(served):
    client, url, db, server = served["client"], served["url"], served["db"], served["server"]
    first = client.get(url)
    misses = server.cache.misses
    with db.transaction() as session:
        unit = service.find_unit(session, "市发改委", "青岛市")
        record(session, plan_key=QINGDAO, task_key="3.1.2", unit=unit, status="done", note="已印发")
    after = client.get(url, headers={"If-None-Match": first.headers["etag"],
                                     "If-Modified-Since": first.headers["last-modified"]})
    assert after.status_code == 200 and after.content != first.content
    assert after.headers["etag"] != first.headers["etag"]
    assert parsedate_to_datetime(after.headers["last-modified"]) >= parsedate_to_datetime(first.headers["last-modified"])
    summaries = [str(e["SUMMARY"]) for e in Calendar.from_ical(after.content).walk("VEVENT")]
    assert "[牵头·已完成] 实施规划引领行动\uff1a统筹考虑服务业集聚区空间布局" in summaries
    assert server.cache.misses == misses + 1  # only the changed task was serialised again
    # only If-Modified-Since, with the old date: the change is not hidden even within the same second
    assert client.get(url, headers={"If-Modified-Since": first.headers["last-modified"]}).status_code == 200
    assert client.get(url, headers={"If-None-Match": after.headers["etag"]}).status_code == 304


def test_unchanged_polls_reuse_the_feed_and_any_change_rebuilds_it(served):
    client, url, db, folder, server = served["client"], served["url"], served["db"], served["folder"], served["server"]
    first = client.get(url)
    misses, hits = server.cache.misses, server.feeds.hits
    for _ in range(3):
        assert client.get(url, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
    assert client.get(url).content == first.content
    assert server.feeds.hits == hits + 4 and server.cache.misses == misses  # nothing built, nothing serialised
    # a plan load that changes only a section's title reaches the feed
    path = folder / f"{QINGDAO}.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('title = "实施规划引领行动"', 'title = "实施规划引领工程"'),
                    encoding="utf-8")
    load_paths(db, [folder])
    after = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert after.status_code == 200
    summaries = [str(e["SUMMARY"]) for e in Calendar.from_ical(after.content).walk("VEVENT")]
    assert "[牵头·已超期] 实施规划引领工程\uff1a统筹考虑服务业集聚区空间布局" not in summaries  # not overdue in 2022
    assert "[牵头] 实施规划引领工程\uff1a统筹考虑服务业集聚区空间布局" in summaries
    # a status update made under a clock set back still reaches it (the versions grow, not the times)
    clock.pin(date(2020, 1, 1))
    with db.transaction() as session:
        record(session, plan_key=QINGDAO, task_key="3.6.3", status="in_progress", percent=5,
                              unit=service.find_unit(session, "市发改委", "青岛市"))
    clock.pin(TODAY)
    again = client.get(url, headers={"If-None-Match": after.headers["etag"]})
    assert again.status_code == 200 and "推进中 5%" in str(
        next(e for e in Calendar.from_ical(again.content).walk("VEVENT") if "/3.6.3/" in str(e["UID"]))["DESCRIPTION"])


def test_a_removed_task_moves_last_modified_forward(served):
    client, url, db, folder = served["client"], served["url"], served["db"], served["folder"]
    first = client.get(url)
    path = folder / f"{QINGDAO}.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index('key = "3.7.5"')
    path.write_text(text[:text.rindex("[[tasks]]", 0, start)] + text[text.index("[[", start):], encoding="utf-8")
    clock.pin(date(2022, 6, 2))
    load_paths(db, [folder])
    after = client.get(url, headers={"If-Modified-Since": first.headers["last-modified"]})
    assert after.status_code == 200 and b"/3.7.5/" in first.content and b"/3.7.5/" not in after.content
    assert parsedate_to_datetime(after.headers["last-modified"]) >= parsedate_to_datetime(first.headers["last-modified"])
    with db.reading() as session:
        state = feeds.feed_state(session, f"unit:{served['unit_id']}:zh")
    assert state[0] == after.headers["etag"] and state[1] > parsedate_to_datetime(first.headers["last-modified"])


def test_plan_feeds_of_the_units_plans(served):
    client, token = served["client"], served["token"]
    plan = client.get(f"/plans/{token}/{QINGDAO}.ics")
    assert plan.status_code == 200 and len(Calendar.from_ical(plan.content).walk("VEVENT")) == 24
    assert client.get(f"/plans/{token}/{QINGDAO}.ics", headers={"If-None-Match": plan.headers["etag"]}).status_code == 304
    assert client.get(f"/plans/{token}/{YEARLY}.ics").status_code == 200  # it coordinates that one
    assert client.get(f"/plans/{token}/jilin-2021-cluster-upgrade.ics").status_code == 404  # not its plan
    todo = client.get(served["url"], params={"todo": "1", "role": "lead", "lang": "en"})
    assert todo.status_code == 200 and len(Calendar.from_ical(todo.content).walk("VTODO")) == 7
    assert todo.headers["etag"] != client.get(served["url"]).headers["etag"]


def test_wrong_or_revoked_tokens_get_404_and_no_log(served):
    client, token, code, db, caplog = served["client"], served["token"], served["code"], served["db"], served["caplog"]
    assert client.get(served["url"]).status_code == 200
    other = "A" * 43 if token != "A" * 43 else "B" * 43
    for path in (f"/feeds/{other}/{code}.ics", f"/feeds/{token[:-1]}/{code}.ics", f"/feeds/{token}/{'0' * 12}.ics",
                 f"/feeds/{token}/{code}", f"/plans/{token}/nope.ics", f"/plans/{token}/{QINGDAO}",
                 f"/feeds/{token}/../../etc/passwd", f"/feeds/{token}/..%2f..%2fetc%2fpasswd",
                 f"/plans/{token}/%2e%2e%2fqingdao.ics", "/feeds/", "/", f"/feeds/{token}/{code}.ics/extra"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert b"BEGIN:VCALENDAR" not in response.content
    with db.transaction() as session:
        feeds.revoke_tokens(session, service.find_unit(session, "市发改委", "青岛市"))
    assert client.get(served["url"]).status_code == 404
    assert client.get(f"/plans/{token}/{QINGDAO}.ics").status_code == 404
    logged = [r.getMessage() for r in caplog.records if r.name == "tracker.feeds"]
    assert logged and all(" 200 " in m for m in logged)  # the one good request, and no 404 at all
    assert not any(token in m or other in m for m in logged)  # the token is masked


def test_refused_requests(served):
    client, url = served["client"], served["url"]
    assert client.get(url, params={"role": "boss"}).status_code == 400
    assert client.get(url, params={"alarm": "soon"}).status_code == 400
    assert client.get(url, params={"debug": "1"}).status_code == 400
    assert client.post(url, content=b"").status_code == 405
    assert client.request("GET", url, content=b"x" * 100).status_code == 413
    assert client.get(url + "?" + "a" * 600).status_code == 414
    assert client.get(url, headers={"X-Big": "a" * 20_000}).status_code == 431
    # a head that keeps coming: h11 gives up on it before it is whole
    host, port = client.base_url.host, client.base_url.port
    with socket.create_connection((host, port), timeout=10) as raw:
        raw.sendall(f"GET {url} HTTP/1.1\r\nHost: x\r\n".encode())
        try:
            for _ in range(100):
                raw.sendall(b"X-More: " + b"a" * 1000 + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        else:
            raw.sendall(b"\r\n")
        answer = raw.recv(64)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 4")


def test_unchanged_polls_skip_the_fingerprint_and_any_writer_is_seen(served):
    """A poll reads the fingerprint again only after some write became visible; writes from another
    process's connection (another engine here) and from the server's own engine both count."""
    from sqlalchemy import event

    from tracker.store.db import Database

    client, url, db = served["client"], served["url"], served["db"]
    first = client.get(url)
    client.get(url, headers={"If-None-Match": first.headers["etag"]})
    statements = []

    def seen(_conn, _cursor, sql, *_):
        statements.append(sql)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        assert client.get(url, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    if db.engine.dialect.name == "sqlite":
        # the fingerprint's aggregate was not run: the marker, the token, the feed state. (PostgreSQL's
        # marker is the cluster's snapshot, which any other database's writes move too, so there it
        # saves the fingerprint only on a quiet server: not assertable beside other test suites.)
        assert not any("sum(" in sql.lower() for sql in statements)
        assert len([sql for sql in statements if sql.strip().upper() != "BEGIN"]) == 3

    other = Database(db.url, migrate=False)
    try:
        etag = first.headers["etag"]
        for writer, percent in ((other, 15), (db, 25), (other, 35)):
            with writer.transaction() as session:
                record(session, plan_key=QINGDAO, task_key="3.6.3", status="in_progress",
                                      percent=percent, unit=service.find_unit(session, "市发改委", "青岛市"))
            changed = client.get(url, headers={"If-None-Match": etag})
            assert changed.status_code == 200 and f"推进中 {percent}%" in changed.text.replace("\r\n ", "")
            etag = changed.headers["etag"]
            assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    finally:
        other.dispose()


def test_the_token_is_checked_first_and_an_alarm_out_of_range_is_400(served):
    client, url, token, code = served["client"], served["url"], served["token"], served["code"]
    other = "A" * 43 if token != "A" * 43 else "B" * 43
    for alarm in ("99999999999d", "9" * 300 + "w", "367d", "53w", "8785h", "1d,400d"):
        answer = client.get(url, params={"alarm": alarm})
        assert answer.status_code == 400, alarm
        assert "alarm" in answer.text and "Traceback" not in answer.text
        assert client.get(f"/plans/{token}/{QINGDAO}.ics", params={"alarm": alarm}).status_code == 400
    assert client.get(url, params={"alarm": "366d,52w"}).status_code == 200
    # a wrong token is told so (404) whatever else is wrong, and nothing tells it what else was
    for params in ({"alarm": "99999999999d"}, {"debug": "1"}, {"role": "boss"}, {"todo": "x"}):
        for path in (f"/feeds/{other}/{code}.ics", f"/plans/{other}/{QINGDAO}.ics", f"/feeds/{token}/nope.ics"):
            answer = client.get(path, params=params)
            assert answer.status_code == 404 and answer.text == "Not Found", (path, params)


def _raw_request(base_url, head: bytes) -> bytes:
    with socket.create_connection((base_url.host, base_url.port), timeout=10) as raw:
        raw.sendall(head)
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    return answer


def test_the_log_shows_the_path_as_sent_escaped_cut_and_with_every_token_masked(served):
    from tracker.feeds.server import MAX_LOGGED_PATH

    client, token, code, caplog = served["client"], served["token"], served["code"], served["caplog"]
    encoded = "".join(f"%{ord(c):02X}" for c in token)  # the router decodes it: the same token
    caplog.clear()
    heads = [
        # a body with an unusual path: refused before routing, logged, the token masked
        f"GET //feeds/{token}/{code}.ics HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello",
        f"GET /x/{token}//%0a2026-01-01%20INFO%20forged%1b[31m HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx",
        # a token written percent-escaped is the token all the same
        f"GET /feeds/{encoded}/{code}.ics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        f"GET /feeds/{token}/{code}.ics?alarm=99999999999d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        # long: refused with 414, logged cut
        f"GET /feeds/{token}/{'%0a%1b' * 2000} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ]
    statuses = [_raw_request(client.base_url, head.encode("ascii")).split(b" ", 2)[1] for head in heads]
    assert statuses == [b"413", b"413", b"200", b"400", b"414"]
    logged = [r.getMessage() for r in caplog.records if r.name == "tracker.feeds"]
    assert len(logged) == 5
    for line in logged:
        assert token not in line and encoded not in line and token[:32] not in line
        assert not any(ord(c) < 0x20 or ord(c) == 0x7F for c in line), repr(line)
        assert len(line) < MAX_LOGGED_PATH + 40
    assert logged[0].startswith(f"GET //feeds/…/{code}.ics 413 ")
    assert logged[1].startswith("GET /x/…//%0a2026-01-01%20INFO%20forged%1b[31m 413 ")  # as sent, not decoded
    assert logged[2].startswith(f"GET /feeds/…/{code}.ics 200 ")
    assert logged[3].startswith(f"GET /feeds/…/{code}.ics 400 ")  # the query is not logged
    assert logged[4].startswith("GET /feeds/…/%0a%1b%0a%1b") and "… 414 " in logged[4]


def _open(base: str, count: int, first: bytes | None) -> list[socket.socket]:
    url = httpx.URL(base)
    sockets = []
    for _ in range(count):
        sock = socket.create_connection((url.host, url.port), timeout=10)
        if first:
            sock.sendall(first)
        sockets.append(sock)
    return sockets


def test_slow_and_idle_connections_do_not_count_toward_the_limit(served):
    """--concurrency counts requests being answered: 24 clients stuck in their headers, 8 that
    sent nothing and 20 idle keep-alive connections leave a limit of 16 all free for real polls."""
    url = served["url"]
    head = f"GET {url} HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n".encode()  # never finished
    with running(served["server"], concurrency=16, request_timeout=60) as base:
        held = _open(base, 24, head) + _open(base, 8, None)
        idle = [httpx.Client(base_url=base, timeout=10) for _ in range(20)]
        try:
            for client in idle:  # each completes a request, then keeps its connection open
                assert client.get(url).status_code == 200
            with httpx.Client(base_url=base, timeout=10) as client:
                for _ in range(5):
                    poll = client.get(url)
                    assert poll.status_code == 200 and poll.content.startswith(b"BEGIN:VCALENDAR")
        finally:
            for client in idle:
                client.close()
            for sock in held:
                sock.close()


def test_the_limit_answers_503_beyond_the_requests_being_answered():
    """Two requests held inside the application fill a limit of two: a third gets 503 at once,
    and once they are answered the next one is served."""
    import asyncio
    import threading

    inside, release = threading.Semaphore(0), threading.Event()

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return  # lifespan: nothing to start
        inside.release()
        while not release.is_set():
            await asyncio.sleep(0.01)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})

    class Slow:
        pass

    slow = Slow()
    slow.app = app
    with running(slow, concurrency=2) as base:
        answers = []
        threads = [threading.Thread(target=lambda: answers.append(httpx.get(base + "/x", timeout=10).status_code))
                   for _ in range(2)]
        for thread in threads:
            thread.start()
        assert inside.acquire(timeout=10) and inside.acquire(timeout=10)  # both are being answered
        refused = httpx.get(base + "/x", timeout=10)
        assert refused.status_code == 503 and refused.headers["retry-after"]
        release.set()
        for thread in threads:
            thread.join(timeout=10)
        assert answers == [200, 200]
        assert httpx.get(base + "/x", timeout=10).status_code == 200


def test_a_request_that_does_not_arrive_in_time_is_disconnected(served):
    """Clients trickling a header line at a time, clients that send nothing, and one trickling a
    body the server refused: each is disconnected once its request is overdue, and meanwhile a
    real poll is answered."""
    import select
    import time

    url = served["url"]
    with running(served["server"], concurrency=16, request_timeout=1) as base:
        trickling = _open(base, 20, f"GET {url} HTTP/1.1\r\nHost: x\r\n".encode())
        silent = _open(base, 4, None)
        body = _open(base, 1, f"GET {url} HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n".encode())
        with httpx.Client(base_url=base, timeout=10) as client:
            assert client.get(url).status_code == 200
        open_ = {sock: b"" for sock in trickling + silent + body}
        heard = {}
        give_up = time.monotonic() + 60  # a bound so a regression fails instead of hanging
        try:
            while open_ and time.monotonic() < give_up:
                for sock in list(open_):
                    try:
                        if sock in trickling:
                            sock.sendall(b"X-More: a\r\n")
                        elif sock in body:
                            sock.sendall(b"a")
                    except OSError:
                        pass  # closed by the server: the read below says so
                readable, _, _ = select.select(list(open_), [], [], 0.2)
                for sock in readable:
                    try:
                        chunk = sock.recv(4096)
                    except OSError:
                        chunk = b""
                    if chunk:
                        open_[sock] += chunk
                    else:
                        heard[sock] = open_.pop(sock)
            assert not open_, f"{len(open_)} connections still open"
            assert all(heard[sock] == b"" for sock in trickling + silent)  # just closed: no request, no answer
            assert heard[body[0]].startswith(b"HTTP/1.1 413")  # answered, then closed when its body was overdue
        finally:
            for sock in trickling + silent + body:
                sock.close()


def test_connections_past_the_bound_are_told_503_and_closed_and_the_server_still_answers(served):
    """--max-connections: 6 clients holding connections open (sending nothing) fill a bound of 6;
    the next connection is told 503 and closed at once, before it sends a byte; once they go,
    polls are answered again."""
    import time

    url = served["url"]
    with running(served["server"], concurrency=16, request_timeout=60, max_connections=6) as base:
        held = _open(base, 6, None)
        try:
            extra = _open(base, 1, None)[0]
            extra.settimeout(10)
            answer = b""
            while chunk := extra.recv(1024):  # the server speaks first, then closes
                answer += chunk
            extra.close()
            assert answer.startswith(b"HTTP/1.1 503 ") and b"Connection: close" in answer
        finally:
            for sock in held:
                sock.close()
        give_up = time.monotonic() + 10  # the server sees the closes as it reads them
        with httpx.Client(base_url=base, timeout=10) as client:
            while True:
                try:
                    poll = client.get(url)
                except httpx.RemoteProtocolError:
                    poll = None
                if poll is not None and poll.status_code == 200 or time.monotonic() > give_up:
                    break
                time.sleep(0.05)
            assert poll is not None and poll.status_code == 200 and poll.content.startswith(b"BEGIN:VCALENDAR")


def test_the_connection_bound_stays_within_the_file_descriptors(monkeypatch):
    import resource

    from tracker.feeds.server import within_descriptors

    monkeypatch.setattr(resource, "getrlimit", lambda which: (1024, 4096))
    assert within_descriptors(1000) == 1024 - 64 and within_descriptors(500) == 500
    monkeypatch.setattr(resource, "getrlimit", lambda which: (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    assert within_descriptors(1000) == 1000
