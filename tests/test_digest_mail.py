"""Sending digests through a real SMTP server on loopback (aiosmtpd) and reading what arrived."""

from __future__ import annotations

import email
import shutil
import socket
import ssl
import subprocess
from email import policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select

from tracker.digest.mail import SmtpSettings
from tracker.errors import TrackerError
from tracker.store.db import Database
from tracker.store.models import DigestDelivery, Unit

from .conftest import snapshot
from .test_digest import copy_data, record_history

TODAY = "2026-11-25"
SENDER = "行动计划办公室 <tracker@example.org>"
NDRC = ["wangmin@ndrc.example.org", "liqiang@ndrc.example.org"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps what it receives and refuses the addresses it is told to."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], email.message.EmailMessage]] = []
        self.refuse: set[str] = set()
        self.logins: list[tuple[bytes, bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((auth_data.login, auth_data.password))
        # handled=False: the server answers a failure with 535 itself
        return AuthResult(success=auth_data.password == b"s3cret", handled=False)

    def to(self, address: str):
        return [m for _, rcpt, m in self.messages if address in rcpt]


@pytest.fixture
def inbox():
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(),
                            authenticator=handler.authenticate, auth_require_tls=False)
    controller.start()
    handler.env = {"TRACKER_SMTP_HOST": "127.0.0.1", "TRACKER_SMTP_PORT": str(controller.port),
                   "TRACKER_SMTP_STARTTLS": "no", "TRACKER_SMTP_FROM": SENDER}
    yield handler
    controller.stop()


@pytest.fixture
def cli(tracker_cli, tmp_path):
    assert tracker_cli("plan", "load", str(copy_data(tmp_path))).exit_code == 0
    db = Database(tracker_cli.url)
    record_history(db)
    db.dispose()
    return tracker_cli


def deliveries(url: str) -> dict[str, str]:
    db = Database(url)
    with db.reading() as session:
        rows = session.execute(select(Unit.name, DigestDelivery.week, DigestDelivery.recipients)
                               .join(Unit, Unit.id == DigestDelivery.unit_id)).all()
    db.dispose()
    return {name: (week, recipients) for name, week, recipients in rows}


def send(cli, inbox, *args, env=None):
    return cli("digest", "send", "--week", "2026-W48", *args, env={**inbox.env, **(env or {})}, today=TODAY)


def test_send_every_units_digest_and_read_what_arrived(cli, inbox):
    result = send(cli, inbox, "--all")
    assert result.exit_code == 0, result.output
    # four units have liaisons with addresses; 市科技局's has none and is reported
    assert len(inbox.messages) == 4
    assert "青岛市 市科技局\uff1a联络员没有邮箱\uff0c跳过" in result.stdout
    assert "发送周报" not in result.stderr  # no progress bar into a pipe (tests/test_progress.py)

    sender, recipients, message = next(m for m in inbox.messages if m[1] == NDRC)
    assert sender == "tracker@example.org"
    assert message["Subject"] == "【行动计划周报】市发展改革委 2026年第48周"
    assert [(a.display_name, a.addr_spec) for a in message["To"].addresses] == [
        ("王敏", NDRC[0]), ("李强", NDRC[1])]
    assert message["From"].addresses[0].display_name == "行动计划办公室"
    assert message.get_content_type() == "multipart/alternative"
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    text = plain.get_content()
    assert "■ 已超期\uff081\uff09" in text and "编制服务业发展规划" in text and "市科技局\uff08从未更新\uff09" in text
    assert "已提供招商数据" in html.get_content() and "&lt;script&gt;" in html.get_content()
    assert message["Message-ID"] and message["Auto-Submitted"] == "auto-generated"

    stats, = inbox.to("sunyue@stats.example.org")
    assert stats["Subject"] == "【行动计划周报】市统计局 2026年第48周"
    assert "本周没有超期、临近到期、进度滞后或需要跟进的任务。" in stats.get_body(("plain",)).get_content()

    assert deliveries(cli.url) == {
        "市发展改革委": ("2026-W48", "王敏 <wangmin@ndrc.example.org>, 李强 <liqiang@ndrc.example.org>"),
        "市商务局": ("2026-W48", "赵蕾 <zhaolei@commerce.example.org>"),
        "市统计局": ("2026-W48", "孙悦 <sunyue@stats.example.org>"),
        "市财政局": ("2026-W48", "周平 <zhouping@finance.example.org>"),
    }

    # the second run for the same week sends nothing new
    again = send(cli, inbox, "--all")
    assert again.exit_code == 0, again.output
    assert len(inbox.messages) == 4
    assert again.stdout.count("本周已发送\uff0c跳过") == 4
    assert "市统计局\uff1a本周已发送\uff0c跳过\uff08--force 重发\uff09\uff082026-11-25 12:" in again.stdout  # Shanghai time
    # --force sends again, and the record follows the latest sending
    forced = send(cli, inbox, "--unit", "市统计局", "--force")
    assert forced.exit_code == 0, forced.output
    assert len(inbox.to("sunyue@stats.example.org")) == 2 and len(inbox.messages) == 5
    # next week is another digest
    result = cli("digest", "send", "--unit", "市统计局", env=inbox.env, today="2026-12-01")
    assert result.exit_code == 0, result.output
    assert inbox.messages[-1][2]["Subject"] == "【行动计划周报】市统计局 2026年第49周"


def test_one_units_failure_is_reported_and_the_others_still_go(cli, inbox):
    inbox.refuse.add("zhaolei@commerce.example.org")
    result = send(cli, inbox, "--all")
    assert result.exit_code != 0
    assert "青岛市 市商务局\uff1a发送失败" in result.stderr and "550" in result.stderr
    assert "5份周报中有1份未发出\uff08市商务局\uff09" in str(result.exception)
    assert "1 of 5 digests were not sent (市商务局)" in result.exception.words("en")
    assert len(inbox.messages) == 3
    assert set(deliveries(cli.url)) == {"市发展改革委", "市统计局", "市财政局"}
    # once the mailbox is back, running it again sends only what did not go
    inbox.refuse.clear()
    result = send(cli, inbox, "--all")
    assert result.exit_code == 0, result.output
    assert len(inbox.messages) == 4 and inbox.messages[-1][1] == ["zhaolei@commerce.example.org"]


def test_one_refused_address_of_several_still_delivers_to_the_rest(cli, inbox):
    inbox.refuse.add(NDRC[1])
    result = send(cli, inbox, "--unit", "市发改委")
    assert result.exit_code == 0, result.output
    assert inbox.messages[0][1] == [NDRC[0]]
    assert "refused: liqiang@ndrc.example.org" in result.stdout
    assert deliveries(cli.url)["市发展改革委"][1] == "王敏 <wangmin@ndrc.example.org>"


def test_dry_run_sends_nothing_and_writes_nothing(cli, inbox):
    before = snapshot(cli.url)
    result = send(cli, inbox, "--all", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "\uff08试运行\uff1a未发送\uff0c未记录\uff09" in result.stdout
    assert "青岛市 市发展改革委\uff1a将发送 → 王敏 <wangmin@ndrc.example.org>, 李强 <liqiang@ndrc.example.org>" in result.stdout
    assert inbox.messages == [] and snapshot(cli.url) == before
    # a dry run needs no server at all
    result = cli("digest", "send", "--week", "2026-W48", "--all", "--dry-run", today=TODAY)
    assert result.exit_code == 0, result.output


def test_login_with_user_and_password(cli, inbox):
    env = {"TRACKER_SMTP_USER": "tracker", "TRACKER_SMTP_PASSWORD": "s3cret"}
    result = send(cli, inbox, "--unit", "市统计局", env=env)
    assert result.exit_code == 0, result.output
    assert inbox.logins == [(b"tracker", b"s3cret")] and len(inbox.messages) == 1
    before = snapshot(cli.url)
    result = send(cli, inbox, "--unit", "市财政局", env={**env, "TRACKER_SMTP_PASSWORD": "wrong"})
    assert result.exit_code != 0 and "535" in str(result.exception)
    assert len(inbox.messages) == 1 and snapshot(cli.url) == before


def test_a_server_that_cannot_be_reached_is_one_clear_error(cli, inbox):
    before = snapshot(cli.url)
    result = send(cli, inbox, "--all", env={"TRACKER_SMTP_PORT": str(free_port())})
    assert result.exit_code != 0
    assert "cannot use the mail server 127.0.0.1:" in result.exception.words("en")
    assert snapshot(cli.url) == before


def test_missing_server_settings(tracker_cli):
    result = tracker_cli("digest", "send", "--all", today=TODAY)
    assert result.exit_code != 0 and "set TRACKER_SMTP_HOST" in result.exception.words("en")
    result = tracker_cli("digest", "send", "--all", env={"TRACKER_SMTP_HOST": "127.0.0.1"}, today=TODAY)
    assert "set TRACKER_SMTP_FROM" in result.exception.words("en")


@pytest.mark.parametrize("env, message", [
    ({"TRACKER_SMTP_PORT": "smtp"}, "TRACKER_SMTP_PORT='smtp' is not a port number"),
    ({"TRACKER_SMTP_PORT": "70000"}, "is not a port number"),
    ({"TRACKER_SMTP_STARTTLS": "maybe"}, "TRACKER_SMTP_STARTTLS='maybe': use yes or no"),
    ({"TRACKER_SMTP_USER": "tracker"}, "TRACKER_SMTP_PASSWORD is not"),
    ({"TRACKER_SMTP_TIMEOUT": "soon"}, "is not a number of seconds"),
])
def test_bad_smtp_settings(env, message):
    with pytest.raises(TrackerError) as refused:
        SmtpSettings.from_env({"TRACKER_SMTP_HOST": "mail.example.org", **env})
    assert message in refused.value.words("en")


def test_smtp_defaults():
    plain = SmtpSettings.from_env({"TRACKER_SMTP_HOST": "mail.example.org"})
    assert (plain.port, plain.starttls, plain.sender) == (25, False, None)
    login = SmtpSettings.from_env({"TRACKER_SMTP_HOST": "mail.example.org", "TRACKER_SMTP_USER": "ban@example.org",
                                   "TRACKER_SMTP_PASSWORD": "x"})
    assert (login.port, login.starttls, login.sender) == (587, True, "ban@example.org")


def _store_behind_the_back(url: str, statement: str, **params) -> None:
    """What the database holds, whatever loading would have let through (an older version's load,
    someone's own tools): sending must cope with it all the same."""
    from sqlalchemy import text

    db = Database(url, migrate=False)
    with db.engine.begin() as conn:
        conn.execute(text(statement), params)
    db.dispose()


STATS = "sunyue@stats.example.org"


@pytest.mark.parametrize("column, value, said", [
    ("email", "sunyue at stats", "联络员孙悦\uff08青岛市 市统计局\uff09\uff1a不是邮箱地址\uff1a'sunyue at stats'"),
    ("email", f"{STATS}\r\nBcc: spy@evil.example.org", "U+000D"),
    ("email", f"{STATS}\nBcc: spy@evil.example.org", "U+000A"),
    ("name", "孙悦\r\nBcc: spy@evil.example.org", "联络员'孙悦\\r\\nBcc: spy@evil.example.org'\uff08青岛市 市统计局\uff09"),
    ("name", "孙悦\u2028Bcc: spy@evil.example.org", "U+2028"),
    ("name", "孙悦\x1b[31m", "U+001B"),
])
def test_a_liaisons_bad_name_or_address_fails_that_unit_only(cli, inbox, column, value, said):
    _store_behind_the_back(cli.url, f"UPDATE liaison SET {column} = :value WHERE email = :email",
                           value=value, email=STATS)
    result = send(cli, inbox, "--all")
    assert result.exit_code != 0 and isinstance(result.exception, TrackerError), result.exception
    assert "青岛市 市统计局\uff1a发送失败" in result.stderr and said in result.stderr, result.stderr
    assert "1 of 5 digests were not sent (市统计局)" in result.exception.words("en")
    # the other three went, and nobody else was slipped in
    assert len(inbox.messages) == 3 and set(deliveries(cli.url)) == {"市发展改革委", "市商务局", "市财政局"}
    assert not any("spy@evil.example.org" in rcpt or "spy@evil" in str(m.get("Bcc", ""))
                   for _, rcpt, m in inbox.messages)
    # the dry run says the same before anything goes
    dry = send(cli, inbox, "--all", "--dry-run")
    assert "青岛市 市统计局\uff1a发送失败" in dry.stderr and said in dry.stderr
    # one unit's mail file: a clear error, no traceback; every unit's: the others written
    one = cli("digest", "--unit", "市统计局", "-j", "青岛市", "--week", "2026-W48", "--format", "eml",
              env=inbox.env, today=TODAY)
    assert one.exit_code != 0 and isinstance(one.exception, TrackerError) and said in str(one.exception)
    # corrected, the next run sends only what did not go
    _store_behind_the_back(cli.url, f"UPDATE liaison SET {column} = :fixed WHERE {column} = :value",
                           fixed=STATS if column == "email" else "孙悦", value=value)
    again = send(cli, inbox, "--all")
    assert again.exit_code == 0, again.output
    assert len(inbox.messages) == 4 and inbox.messages[-1][1] == [STATS]


def test_every_units_mail_file_but_the_one_with_a_bad_liaison(cli, inbox, tmp_path):
    _store_behind_the_back(cli.url, "UPDATE liaison SET name = :name WHERE email = :email",
                           name="孙悦\r\nBcc: spy@evil.example.org", email=STATS)
    out = tmp_path / "mail"
    result = cli("digest", "--all", "--week", "2026-W48", "--format", "eml", "-o", str(out), env=inbox.env,
                 today=TODAY)
    assert result.exit_code != 0 and isinstance(result.exception, TrackerError), result.exception
    assert "4份周报中有1份无法生成邮件" in str(result.exception)
    assert "青岛市 市统计局" in result.stderr and "U+000D" in result.stderr
    written = sorted(p.name for p in out.iterdir())
    assert len(written) == 3 and not any("市统计局" in name and "青岛" in name for name in written)
    for path in out.iterdir():
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert "spy@evil" not in str(message["To"]) and message["Bcc"] is None


@pytest.fixture
def tls_inbox(tmp_path):
    """A server that insists on STARTTLS before AUTH, with a certificate of its own CA."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to make a certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), tls_context=context,
                            require_starttls=True, authenticator=handler.authenticate)
    controller.start()
    handler.env = {"TRACKER_SMTP_HOST": "127.0.0.1", "TRACKER_SMTP_PORT": str(controller.port),
                   "TRACKER_SMTP_USER": "tracker", "TRACKER_SMTP_PASSWORD": "s3cret", "TRACKER_SMTP_FROM": SENDER}
    handler.cafile = str(cert)
    yield handler
    controller.stop()


def test_starttls_and_login(cli, tls_inbox):
    # STARTTLS is on by default when there is a password to send
    result = send(cli, tls_inbox, "--unit", "市统计局", env={"TRACKER_SMTP_CAFILE": tls_inbox.cafile})
    assert result.exit_code == 0, result.output
    assert tls_inbox.logins == [(b"tracker", b"s3cret")]
    message, = tls_inbox.to("sunyue@stats.example.org")
    assert message["Subject"] == "【行动计划周报】市统计局 2026年第48周"


def test_a_certificate_nobody_vouches_for_is_refused(cli, tls_inbox):
    before = snapshot(cli.url)
    result = send(cli, tls_inbox, "--all")
    assert result.exit_code != 0
    refusal = result.exception.words("en")
    assert "无法使用邮件服务器" in str(result.exception)
    assert "cannot use the mail server" in refusal and "CERTIFICATE_VERIFY_FAILED" in refusal
    assert tls_inbox.logins == [] and tls_inbox.messages == [] and snapshot(cli.url) == before
    result = send(cli, tls_inbox, "--all", env={"TRACKER_SMTP_CAFILE": "/nonexistent/ca.pem"})
    assert "TRACKER_SMTP_CAFILE='/nonexistent/ca.pem': no such file" in result.exception.words("en")
