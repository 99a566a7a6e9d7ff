"""Check republished feeds the way readers will read them.

RSS and Atom: Python feedparser, the reference reader, must parse them with
bozo == 0, and every entry needs a title, link and id. JSON Feed (which
feedparser 6.0 does not read): the JSON Feed 1.1 rules, checked here.

Exit 0 when every file passes; 1 with the reasons otherwise; 3 when
feedparser is not installed.
"""
import json
import sys
from datetime import datetime
from urllib.parse import urlparse

try:
    import feedparser
except ImportError:
    sys.exit(3)


def absolute(url):
    u = urlparse(url)
    return u.scheme in ("http", "https") and bool(u.netloc)


def rfc3339(value):
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True
    except (TypeError, ValueError):
        return False


def check_json_feed(path):
    """JSON Feed 1.1: https://www.jsonfeed.org/version/1.1/"""
    problems = []
    with open(path, encoding="utf-8") as f:
        feed = json.load(f)
    if feed.get("version") != "https://jsonfeed.org/version/1.1":
        problems.append("version is not https://jsonfeed.org/version/1.1")
    if not isinstance(feed.get("title"), str) or not feed["title"]:
        problems.append("title missing")
    for key in ("home_page_url", "feed_url"):
        if key in feed and not absolute(feed[key]):
            problems.append(f"{key} is not absolute")
    items = feed.get("items")
    if not isinstance(items, list) or not items:
        return problems + ["items missing or empty"]
    ids = set()
    for item in items:
        if not isinstance(item.get("id"), str) or not item["id"]:
            problems.append(f"item without string id: {item.get('title')!r}")
        elif item["id"] in ids:
            problems.append(f"duplicate id {item['id']}")
        ids.add(item.get("id"))
        if "content_html" not in item and "content_text" not in item:
            problems.append(f"item {item.get('id')} has neither content_html nor content_text")
        for key in ("url", "image"):
            if key in item and not absolute(item[key]):
                problems.append(f"item {item.get('id')} {key} is not absolute")
        for key in ("date_published", "date_modified"):
            if key in item and not rfc3339(item[key]):
                problems.append(f"item {item.get('id')} {key} is not RFC 3339")
        for k in item:
            known = {"id", "url", "external_url", "title", "content_html", "content_text", "summary", "image", "banner_image",
                     "date_published", "date_modified", "authors", "tags", "language", "attachments"}
            if k not in known and not k.startswith("_"):
                problems.append(f"item {item.get('id')} has unknown key {k} (extensions start with _)")
    return problems


failed = False
for path in sys.argv[1:]:
    if path.endswith(".json"):
        problems = check_json_feed(path)
        for p in problems:
            print(f"{path}: {p}")
        failed |= bool(problems)
        if not problems:
            print(f"{path}: ok, JSON Feed 1.1")
        continue
    d = feedparser.parse(path)
    if d.bozo:
        print(f"{path}: bozo: {d.bozo_exception!r}")
        failed = True
        continue
    if not d.entries:
        print(f"{path}: no entries")
        failed = True
    for e in d.entries:
        if not e.get("title") or not e.get("link") or not e.get("id"):
            print(f"{path}: entry without title/link/id: {e.get('title')!r}")
            failed = True
    print(f"{path}: ok, {len(d.entries)} entries, version {d.version}")
sys.exit(1 if failed else 0)
