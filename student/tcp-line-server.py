# autograder: starter (delete this line when you start: files that still have it are not graded)
"""tcp-line-server HOST PORT: the contract is in docs/exercises/tcp-line-server.md."""
import socket
import sys

IDLE_TIMEOUT = 2.0  # seconds: close a connection on which nothing has arrived for this long


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    # TODO: listen on (host, port) with a TCP socket of the right address family; then, one client
    # at a time, read the client's lines (conn.makefile("rb") reads a socket line by line) and answer
    # each one with the line uppercased plus b"\n"; after EOF close the connection and accept the next.
    sys.exit(f"tcp-line-server: not written yet (asked to serve {host}:{port})")


if __name__ == "__main__":
    main()
