"""Parse republished feeds with Python feedparser, the reference reader.

Exit 0 when every file parses with bozo == 0 and has entries with titles
and links; 1 with the reason otherwise; 3 when feedparser is not installed.
"""
import sys

try:
    import feedparser
except ImportError:
    sys.exit(3)

failed = False
for path in sys.argv[1:]:
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
