#!/usr/bin/python3
"""The Python baseline for bench_parse: the standard email package on the
same files, doing the same job as far as it can (policy.default, the body
as text via get_body()/get_content(), the headers slaclock reads).

    parse_baseline.py [-t SECONDS] [-l LIMIT] LISTFILE

Files are read into memory first; then whole passes until SECONDS, or,
when one pass takes longer, the files done when SECONDS ran out (their
count is in the output). Prints one JSON object like bench_parse.
"""
import argparse
import email
import email.policy
import json
import sys
import time


def parse_one(data):
    msg = email.message_from_bytes(data, policy=email.policy.default)
    n = 0
    for name in ("Message-ID", "In-Reply-To", "References", "From", "To",
                 "Cc", "Subject", "Date", "X-Assigned-To", "X-Ticket-Priority",
                 "Auto-Submitted"):
        v = msg.get(name)
        if v is not None:
            n += len(str(v))
    body = msg.get_body(preferencelist=("plain", "html"))
    if body is not None:
        n += len(body.get_content())
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-t", type=float, default=2.0)
    ap.add_argument("-l", type=int, default=0)
    ap.add_argument("list")
    a = ap.parse_args()
    with open(a.list) as f:
        paths = [p.rstrip("\n") for p in f if p.strip()]
    if a.l:
        paths = paths[:a.l]
    files = []
    for p in paths:
        with open(p, "rb") as f:
            files.append(f.read())
    failed = 0
    sink = 0
    done = 0
    done_bytes = 0
    t0 = time.monotonic()
    c0 = time.process_time()
    passes = 0
    while True:
        for data in files:
            try:
                sink += parse_one(data)
            except Exception:
                if passes == 0:
                    failed += 1
            done += 1
            done_bytes += len(data)
            if passes == 0 and time.monotonic() - t0 >= a.t:
                break
        else:
            passes += 1
            if time.monotonic() - t0 < a.t:
                continue
        break
    wall = time.monotonic() - t0
    cpu = time.process_time() - c0
    print(json.dumps({
        "files": len(files) if passes else done,
        "bytes": sum(map(len, files)) if passes else done_bytes,
        "failed": failed, "passes": passes, "parsed": done,
        "seconds": round(wall, 4), "cpu_seconds": round(cpu, 4),
        "mb_per_s": round(done_bytes / 1e6 / wall, 2),
        "msgs_per_s": round(done / wall, 1),
        "cpu_mb_per_s": round(done_bytes / 1e6 / cpu, 2),
        "cpu_msgs_per_s": round(done / cpu, 1),
        "python": sys.version.split()[0], "sink": sink}))


if __name__ == "__main__":
    main()
