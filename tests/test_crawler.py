"""The crawler: address rules, and real crawls of a local fixture site (one `flask crawl` each)."""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import select

from gallery.crawler.extract import best_candidate, parse_srcset
from gallery.crawler.safety import AddressPolicy, UnsafeURL, check_url, system_resolver
from gallery.extensions import db
from gallery.models import PENDING, VISIBLE, Image, OperationRun, User
from tests.support.crawl_site import (
    CC0,
    CC_BY,
    CC_BY_SA,
    MAX_IMAGE_BYTES,
    MIN_SIZE,
    SLOW_SECONDS,
    serve_site,
)

ROOT = Path(__file__).resolve().parent.parent

# --- the address rules ---------------------------------------------------------------------

DEFAULT = AddressPolicy()
PRIVATE_OK = AddressPolicy.build(allow_private=True)
LOOPBACK_ONLY = AddressPolicy.build(allow_nets=["127.0.0.0/8"])
DNS = {
    "example.com": ["93.184.216.34"],
    "localhost": ["127.0.0.1", "::1"],
    "rebind.example": ["93.184.216.34", "10.1.2.3"],
    "v6.example": ["2606:2800:220:1:248:1893:25c8:1946"],
}


def fake_resolver(host: str, port: int) -> list[str]:
    if host not in DNS:
        raise OSError("unknown host")
    return DNS[host]


@pytest.mark.parametrize(
    ("url", "policy", "refused_because"),
    [
        ("http://example.com/a.jpg", DEFAULT, None),
        ("https://93.184.216.34:8443/a.jpg", DEFAULT, None),
        ("http://v6.example/", DEFAULT, None),
        ("ftp://example.com/a.jpg", PRIVATE_OK, "only http and https"),
        ("file:///etc/passwd", PRIVATE_OK, "only http and https"),
        ("javascript:alert(1)", PRIVATE_OK, "only http and https"),
        ("http://user:secret@example.com/", DEFAULT, "credentials"),
        ("http://nowhere.example/", DEFAULT, "does not resolve"),
        ("http://127.0.0.1/", DEFAULT, "loopback"),
        ("http://localhost:8000/", DEFAULT, "loopback"),
        ("http://[::1]/", DEFAULT, "loopback"),
        ("http://[::ffff:127.0.0.1]/", DEFAULT, "loopback"),
        ("http://10.0.0.1/", DEFAULT, "private"),
        ("http://172.16.5.4/", DEFAULT, "private"),
        ("http://192.168.1.1/", DEFAULT, "private"),
        ("http://[fd12::1]/", DEFAULT, "private"),
        ("http://100.64.0.1/", DEFAULT, "carrier-grade NAT"),
        ("http://192.0.2.10/", DEFAULT, "non-public"),
        ("http://rebind.example/", DEFAULT, "private"),  # every address is checked
        ("http://127.0.0.1/", PRIVATE_OK, None),
        ("http://localhost/", PRIVATE_OK, None),
        ("http://10.0.0.1/", PRIVATE_OK, None),
        ("http://127.0.0.1:9/", LOOPBACK_ONLY, None),
        ("http://10.0.0.1/", LOOPBACK_ONLY, "private"),
        # never, whatever is allowed
        ("http://169.254.169.254/latest/meta-data/", PRIVATE_OK, "metadata"),
        ("http://169.254.10.1/", LOOPBACK_ONLY, "link-local"),
        ("http://[fe80::1]/", PRIVATE_OK, "link-local"),
        ("http://[::ffff:169.254.169.254]/", PRIVATE_OK, "metadata"),
        ("http://[64:ff9b::a9fe:a9fe]/", PRIVATE_OK, "metadata"),
        ("http://100.100.100.200/", PRIVATE_OK, "metadata"),
        ("http://[fd00:ec2::254]/", PRIVATE_OK, "metadata"),
        ("http://0.0.0.0:8000/", PRIVATE_OK, "unspecified"),
        ("http://224.0.0.1/", PRIVATE_OK, "multicast"),
        ("http://255.255.255.255/", PRIVATE_OK, "broadcast"),
    ],
)
def test_address_rules(url: str, policy: AddressPolicy, refused_because: str | None) -> None:
    if refused_because is None:
        assert check_url(url, policy, resolve=fake_resolver)
    else:
        with pytest.raises(UnsafeURL) as refused:
            check_url(url, policy, resolve=fake_resolver)
        assert refused_because in refused.value.reason


@pytest.mark.parametrize("host", ["2130706433", "0x7f.1", "127.1"])
def test_numeric_spellings_of_loopback_resolve_to_loopback(host: str) -> None:
    with pytest.raises(UnsafeURL, match="loopback"):
        check_url(f"http://{host}/", DEFAULT, resolve=system_resolver)


def test_allow_net_must_be_a_network() -> None:
    with pytest.raises(ValueError):
        AddressPolicy.build(allow_nets=["not-a-network"])
    assert AddressPolicy.build(allow_nets=["10.1.2.3/8"]).allow_nets == (
        ipaddress.ip_network("10.0.0.0/8"),
    )


@pytest.mark.parametrize(
    ("srcset", "best"),
    [
        ("a.jpg 100w, b.jpg 800w, c.jpg 400w", "b.jpg"),
        ("a.jpg 1x, b.jpg 2x", "b.jpg"),
        ("only.jpg", "only.jpg"),
        ("", None),
    ],
)
def test_srcset_picks_the_largest(srcset: str, best: str | None) -> None:
    assert best_candidate(parse_srcset(srcset)) == best


# --- real crawls ---------------------------------------------------------------------------

LIMITS = ["--delay", "0", "--min-size", str(MIN_SIZE), "--max-image-bytes", str(MAX_IMAGE_BYTES)]


def flask_cli(app: Flask, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `flask …` in a fresh process (Scrapy's reactor starts once per process)."""
    db.session.commit()
    db.session.remove()
    env = dict(os.environ)
    env.update(
        GALLERY_CONFIG=str(ROOT / "config" / "testing.py"),
        GALLERY_INSTANCE_PATH=app.instance_path,
        GALLERY_SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        GALLERY_MEDIA_ROOT=app.config["MEDIA_ROOT"],
    )
    if app.config.get("REDIS_URL"):
        env["GALLERY_REDIS_URL"] = app.config["REDIS_URL"]
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "gallery", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def forked_cli(app: Flask, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `flask …` through the test app's CLI runner in a forked child of this process:
    Scrapy's reactor gets a process of its own without a new interpreter that imports
    everything again (a few seconds per crawl). flask_cli() runs the real command line."""
    db.session.commit()
    db.session.remove()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: crawl, report through the pipe, exit without pytest's teardown
        status = 1
        try:
            os.close(read_end)
            with app.app_context():
                db.engine.dispose(close=False)  # the parent's connections stay the parent's
                result = app.test_cli_runner().invoke(args=list(args))
            error = (
                "".join(traceback.format_exception(result.exception)) if result.exception else ""
            )
            report = {"code": result.exit_code, "stdout": result.output, "stderr": error}
            with os.fdopen(write_end, "w") as pipe:
                json.dump(report, pipe)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        text = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert status == 0 and text, f"the crawl's child process failed (wait status {status})"
    report = json.loads(text)
    return subprocess.CompletedProcess(
        ["flask", *args], report["code"], report["stdout"], report["stderr"]
    )


def crawled() -> dict[str, Image]:
    """Crawled images by the path of their source URL."""
    db.session.expire_all()
    images = db.session.scalars(select(Image).where(Image.source == "crawl"))
    return {urlsplit(image.source_url).path: image for image in images}


def last_run() -> OperationRun:
    db.session.expire_all()
    return db.session.scalars(select(OperationRun).order_by(OperationRun.id.desc())).first()


def outcomes(run: OperationRun) -> dict[str, tuple[str, str]]:
    return {
        urlsplit(item["what"]).path: (item["outcome"], item.get("reason", ""))
        for item in run.counts["items"]
    }


EXPECTED_STORED = {
    # path: (caption, licence, credit, page)
    "/img/red.jpg": ("A red square", CC_BY, None, "/index.html"),
    "/img/blue.webp": ("Blue stripes", CC_BY, None, "/index.html"),
    "/img/green.png": (
        "Green field",
        f"CC BY-SA 4.0 ({CC_BY_SA})",
        "Photo: Jane Doe",
        "/index.html",
    ),
    "/img/og.jpg": ("Yellow for sharing", CC_BY, None, "/index.html"),
    "/img/dup.jpg": ("Shared picture", CC0, "Linked Data Person", "/page2.html"),
    "/img/micro.jpg": ("Teal microdata", CC0, "Micro Maker", "/page3.html"),
    "/img/full.jpg": ("Full size, linked from its thumbnail", None, None, "/page3.html"),
    "/img/lazy.jpg": ("Lazy", None, None, "/page3.html"),
}
EXPECTED_NOT_STORED = {
    "/img/red-copy.jpg": ("duplicate", "same content"),
    "/img/tiny.png": ("rejected", f"smaller than {MIN_SIZE}×{MIN_SIZE} px"),
    "/files/notes.jpg": ("rejected", "not a supported image"),
    "/private/secret.jpg": ("rejected", "forbidden by robots.txt"),
    "/private/page.html": ("skipped", "forbidden by robots.txt"),
    "/img/huge.png": ("rejected", "larger than 58.6 KB"),
    "/stream/huge.jpg": ("rejected", "larger than 58.6 KB"),
    "/go/metadata.jpg": (
        "rejected",
        "refused: 169.254.169.254 is a link-local or cloud metadata address",
    ),
    "/img/missing.jpg": ("rejected", "HTTP 404"),
    "/missing.html": ("skipped", "HTTP 404"),
}


def test_crawl_stores_exactly_the_good_images_and_says_why_not_the_others(app: Flask) -> None:
    with serve_site() as site:
        done = flask_cli(app, "crawl", f"{site.base}/index.html", "--allow-private", *LIMITS)
        assert done.returncode == 0, done.stderr
        first_run_requests = list(site.requests)

        images = crawled()
        assert set(images) == set(EXPECTED_STORED)
        crawler = db.session.scalars(select(User).where(User.username == "crawler")).one()
        for path, (caption, licence, credit, page) in EXPECTED_STORED.items():
            image = images[path]
            assert (image.caption, image.licence, image.credit) == (caption, licence, credit), path
            assert image.source_page_url == site.base + page
            assert image.status == PENDING
            assert image.author == crawler

        run = last_run()
        assert (run.kind, run.status) == ("crawl", "finished")
        counts = {k: run.counts[k] for k in ("pages", "found", "stored", "duplicates", "rejected")}
        assert counts == {"pages": 3, "found": 16, "stored": 8, "duplicates": 1, "rejected": 7}
        assert run.counts["skipped"] == 2
        seen = outcomes(run)
        for path, (outcome, reason) in EXPECTED_NOT_STORED.items():
            assert seen[path][0] == outcome, path
            assert reason in seen[path][1], (path, seen[path])
        assert {p for p, (o, _) in seen.items() if o == "stored"} == set(EXPECTED_STORED)
        assert "crawl finished: pages 3 · found 16 · stored 8" in done.stdout

        # robots.txt was read first and its folder never asked for
        assert first_run_requests[0] == "/robots.txt"
        assert site.requested("/private/") == []
        # the best srcset / <picture> candidate only, each address once
        for never in ("/img/red-small.jpg", "/img/blue.jpg", "/img/thumb.jpg"):
            assert site.requested(never) == [], never
        assert len(site.requested("/img/dup.jpg")) == 1
        assert site.stream_aborted.wait(5), "the oversized stream was read to its end"
        assert all(agent.startswith("GalleryBot/1.0 (") for agent in site.agents)

        # the same crawl again adds nothing and downloads no stored image again
        again = forked_cli(app, "crawl", f"{site.base}/index.html", "--allow-private", *LIMITS)
        assert again.returncode == 0, again.stderr
        second_run_requests = site.requests[len(first_run_requests) :]

    assert set(crawled()) == set(EXPECTED_STORED)
    rerun = last_run()
    # known addresses are not downloaded; red-copy.jpg is, and is again the same content
    assert (rerun.counts["stored"], rerun.counts["duplicates"]) == (0, len(EXPECTED_STORED) + 1)
    assert outcomes(rerun)["/img/red.jpg"] == ("duplicate", "already stored (same address)")
    assert not set(second_run_requests) & set(EXPECTED_STORED)
    assert db.session.scalar(select(db.func.count(OperationRun.id))) == 2


def test_publish_and_a_redirect_into_the_private_network(app: Flask) -> None:
    with serve_site() as site:
        done = forked_cli(
            app,
            "crawl",
            f"{site.base}/lan.html",
            "--publish",
            "--allow-net",
            "127.0.0.1/32",
            "--user",
            "harvester",
            *LIMITS,
        )
    assert done.returncode == 0, done.stderr
    images = crawled()
    assert set(images) == {"/img/lan-ok.jpg"}
    assert images["/img/lan-ok.jpg"].status == VISIBLE
    assert images["/img/lan-ok.jpg"].author.username == "harvester"
    assert outcomes(last_run())["/go/lan.jpg"] == (
        "rejected",
        "refused: 10.0.0.1 is a private address",
    )


def test_page_and_image_limits(app: Flask) -> None:
    with serve_site() as site:
        done = forked_cli(
            app,
            "crawl",
            f"{site.base}/index.html",
            "--allow-private",
            "--max-pages",
            "1",
            "--max-images",
            "2",
            *LIMITS,
        )
        requests = list(site.requests)
    assert done.returncode == 0, done.stderr
    run = last_run()
    assert run.counts["pages"] == 1
    assert run.counts["found"] == 2
    assert len([p for p in requests if p.startswith(("/img/", "/files/"))]) == 2
    assert "/page2.html" not in requests
    assert "image limit reached" in run.counts["finish_reason"]


def test_byte_limit_stops_the_run(app: Flask) -> None:
    with serve_site() as site:
        done = forked_cli(
            app,
            "crawl",
            f"{site.base}/index.html",
            "--allow-private",
            "--max-bytes",
            "4096",
            "--concurrency",
            "1",
            *LIMITS,
        )
    assert done.returncode == 0, done.stderr
    run = last_run()
    assert run.counts["finish_reason"] == "stopped: byte limit reached"
    assert run.counts["stored"] < len(EXPECTED_STORED)


def test_time_limit_stops_the_run(app: Flask) -> None:
    with serve_site() as site:
        started = time.monotonic()
        done = forked_cli(
            app, "crawl", f"{site.base}/slow.html", "--allow-private", "--time-limit", "1", *LIMITS
        )
        took = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert last_run().counts["finish_reason"] == "stopped: time limit reached"
    assert crawled() == {}
    assert took < SLOW_SECONDS / 2  # the page in flight was cut off too


def test_the_resolver_refuses_what_the_middleware_would() -> None:
    """A name that resolves to a refused address at connect time (DNS rebinding) fails there."""
    from twisted.internet.error import DNSLookupError

    from gallery.crawler.middleware import REFUSED_HOSTS, SafeResolver

    resolver = SafeResolver.__new__(SafeResolver)
    resolver.policy = LOOPBACK_ONLY
    assert resolver._checked("127.0.0.1", "fine.example") == "127.0.0.1"
    with pytest.raises(DNSLookupError):
        resolver._checked("169.254.169.254", "rebind.example")
    assert "link-local" in REFUSED_HOSTS["rebind.example"]


def test_loopback_is_refused_without_the_flag(app: Flask) -> None:
    with serve_site() as site:
        done = forked_cli(app, "crawl", f"{site.base}/index.html", *LIMITS[2:], "--delay", "1")
        assert site.requests == []
    assert done.returncode == 0, done.stderr
    assert outcomes(last_run())["/index.html"] == (
        "skipped",
        "refused: 127.0.0.1 is a loopback address",
    )
    assert crawled() == {}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["https://example.com/", "--delay", "0"], "only for local test servers"),
        (["file:///etc/passwd"], "is not an http(s) address"),
        (["https://example.com/", "--concurrency", "3"], "1<=x<=2"),
    ],
)
def test_crawl_refuses_bad_options(runner: Any, args: list[str], message: str) -> None:
    result = runner.invoke(args=["crawl", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_crawl_refuses_an_impossible_account_name(runner: Any) -> None:
    result = runner.invoke(args=["crawl", "http://127.0.0.1:9/", "--allow-private", "--user", "ab"])
    assert result.exit_code == 1
    assert "'ab' cannot be a username" in result.output
    assert db.session.scalar(select(db.func.count(OperationRun.id))) == 0
