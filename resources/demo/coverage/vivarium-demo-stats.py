#!/usr/bin/python3
"""vivarium-demo-stats HOST: asks vivarium-demo-server for its counts and prints them as
"name: value" lines; the coverage demo's Python program (coverage.py measures it)."""
import socket
import sys


def stats(host: str) -> dict:
    with socket.create_connection((host, 7070), timeout=10) as connection:
        connection.sendall(b"STATS\n")
        reply = connection.makefile().readline().split()
    if not reply or reply[0] != "STATS":
        raise SystemExit(f"vivarium-demo-stats: unexpected reply {reply!r}")
    return dict(field.split("=", 1) for field in reply[1:])


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: vivarium-demo-stats HOST")
    for name, value in stats(sys.argv[1]).items():
        print(f"{name}: {value}")
