"""The stack as users meet it: links in mails, headers, the micro-cache, two nodes."""

from __future__ import annotations

import re
import time
import uuid

import requests

from tests.faults.conftest import TIMEOUT, Browser, Stack, dump, image_ids

DEMO = ("alice@gallery.local", "alice-demo-pass")
MODERATOR = ("moderator", "moderator-demo-pass")


def fake_address() -> str:
    """A client address of its own, so that rate limits of one test spare the others."""
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"


LINK = re.compile(r"(https?://[^/\s\"]+)/(?:reset|confirm)/[\w.\-]+")
FORGED = {"X-Forwarded-Host": "attacker.example", "X-Forwarded-Proto": "https"}


def mailed_hosts(stack: Stack, address: str) -> list[str]:
    return [host for mail in stack.mails() if address in mail for host in set(LINK.findall(mail))]


def test_mailed_links_ignore_host_and_forwarded_host_through_nginx(stack: Stack) -> None:
    address = f"faults-{uuid.uuid4().hex[:12]}@example.com"
    browser = Browser(stack.url)
    registered = browser.post(
        "/register",
        {
            "username": f"f{uuid.uuid4().hex[:12]}",
            "email": address,
            "password": "a-long-passphrase",
            "password_confirm": "a-long-passphrase",
            "csrf_token": browser.token("/register"),
        },
        headers=FORGED,
    )
    assert registered.status_code == 302, registered.text[:300]
    browser.post("/logout", {"csrf_token": browser.token()})
    token = browser.token("/reset")
    forged = browser.post("/reset", {"email": address, "csrf_token": token}, headers=FORGED)
    assert forged.status_code in (200, 302)
    evil_host = browser.post(
        "/reset", {"email": address, "csrf_token": token}, headers={"Host": "evil.example"}
    )
    assert evil_host.status_code == 400  # TRUSTED_HOSTS: no page, no mail
    deadline = time.monotonic() + 5
    while len(mailed_hosts(stack, address)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    hosts = mailed_hosts(stack, address)
    dump("hosts of the mailed links", hosts)
    assert hosts == [stack.url, stack.url]  # confirm + reset: http://127.0.0.1:<port>


def test_every_answer_carries_the_security_headers(stack: Stack) -> None:
    for path in ("/", "/api/images", "/login", "/register", "/nope"):
        response = requests.get(stack.url + path, timeout=TIMEOUT)
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp, path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
    for path in ("/login", "/register"):
        header = requests.get(stack.url + path, timeout=TIMEOUT).headers["Cache-Control"]
        assert header.replace(" ", "") in ("private,no-store", "no-store,private"), header


def test_visitors_are_served_from_the_micro_cache_and_members_never(stack: Stack) -> None:
    path = f"/api/images?limit=7&probe={uuid.uuid4().hex}"
    first = requests.get(stack.url + path, timeout=TIMEOUT)
    second = requests.get(stack.url + path, timeout=TIMEOUT)
    assert first.headers["X-Edge-Cache"] == "MISS" and second.headers["X-Edge-Cache"] == "HIT"
    assert "s-maxage=5" in second.headers["Cache-Control"]
    member = Browser(stack.url, None)
    member.get("/no-such-page")  # a session cookie now
    assert member.get(path).headers["X-Edge-Cache"] == "BYPASS"


def test_a_hide_reaches_visitors_through_nginx_within_the_bound(stack: Stack) -> None:
    """Bound: EDGE_MAX_AGE (5 s) for nginx's copy, plus one request; the app's caches
    drop the image at once (a new cache generation in the shared Redis)."""
    bound = 5 + 1.5
    latest = image_ids(requests.get(stack.url + "/api/images", timeout=TIMEOUT))
    image_id = latest[0]
    watched = ["/api/images", f"/api/images/{image_id}", f"/images/{image_id}", "/"]
    for path in watched:  # nginx holds a copy of each now
        requests.get(stack.url + path, timeout=TIMEOUT)
    assert requests.get(stack.url + "/api/images", timeout=TIMEOUT).headers["X-Edge-Cache"] in (
        "HIT",
        "UPDATING",
    )
    moderator = Browser(stack.url)
    assert moderator.login(*MODERATOR).status_code == 302
    try:
        hidden_at = time.monotonic()
        assert moderator.api("DELETE", f"/api/images/{image_id}").status_code == 204
        gone_after = {}
        while len(gone_after) < len(watched) and time.monotonic() - hidden_at < bound + 3:
            for path in watched:
                if path in gone_after:
                    continue
                response = requests.get(stack.url + path, timeout=TIMEOUT)
                if path == "/api/images":
                    gone = image_id not in image_ids(response)
                elif path == "/":
                    gone = f'data-id="{image_id}"' not in response.text
                else:
                    gone = response.status_code == 404
                if gone:
                    gone_after[path] = round(time.monotonic() - hidden_at, 2)
            time.sleep(0.2)
        dump("hide reached visitors after (s)", gone_after)
        assert set(gone_after) == set(watched)
        assert max(gone_after.values()) <= bound
    finally:
        restored = moderator.post(f"/images/{image_id}/restore", {"csrf_token": moderator.token()})
        assert restored.status_code in (302, 303)


def test_two_nodes_share_sessions_caches_and_rate_limits(stack: Stack) -> None:
    node_a, node_b = stack.nodes
    address = fake_address()
    alice = Browser(node_a, address)
    assert alice.login(*DEMO).status_code == 302
    on_b = alice.on(node_b)
    on_b.http.headers["X-Forwarded-For"] = address
    assert on_b.get("/upload").status_code == 200  # logged in on B with A's session

    # a hide on A is gone from B at once (the visitor caches live in the shared Redis)
    image_id = image_ids(requests.get(node_b + "/api/images", timeout=TIMEOUT))[0]
    assert requests.get(f"{node_b}/api/images/{image_id}", timeout=TIMEOUT).status_code == 200
    moderator = Browser(node_a, fake_address())
    assert moderator.login(*MODERATOR).status_code == 302
    try:
        assert moderator.api("DELETE", f"/api/images/{image_id}").status_code == 204
        assert requests.get(f"{node_b}/api/images/{image_id}", timeout=TIMEOUT).status_code == 404
        assert image_id not in image_ids(requests.get(node_b + "/api/images", timeout=TIMEOUT))
    finally:
        moderator.post(f"/images/{image_id}/restore", {"csrf_token": moderator.token()})

    # 11 bad logins, alternating between A and B, from one address: the 11th is a 429
    address = fake_address()
    statuses = []
    for attempt in range(11):
        browser = Browser((node_a, node_b)[attempt % 2], address)
        statuses.append(browser.login("alice", "wrong-password").status_code)
    dump("bad logins over A and B", statuses)
    assert 429 not in statuses[:10]
    assert statuses[10] == 429
