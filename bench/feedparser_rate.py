#!/usr/bin/env python3
"""Items per second for Python feedparser parsing every file in a directory
(the reference for syndic's ingest benchmark). Prints one number."""
import os
import sys
import time

import feedparser

files = [os.path.join(sys.argv[1], f) for f in sorted(os.listdir(sys.argv[1]))]
blobs = [open(f, "rb").read() for f in files]
start = time.perf_counter()
items = sum(len(feedparser.parse(b).entries) for b in blobs)
print(f"{items / (time.perf_counter() - start):.0f}")
