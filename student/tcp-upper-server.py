# autograder: starter (delete this line when you start: files that still have it are not graded)
"""tcp-upper-server HOST PORT: the contract is in docs/exercises/tcp-upper-server.md."""
import socket
import sys

IDLE_TIMEOUT = 2.0  # seconds: close a connection on which nothing has arrived for this long


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    # TODO: listen on (host, port) with a TCP socket of the right address family; then, one client
    # at a time, send back everything the client sends with its letters uppercased, until the client
    # closes its side (recv returns b""); close the connection and accept the next client.
    sys.exit(f"tcp-upper-server: not written yet (asked to serve {host}:{port})")


if __name__ == "__main__":
    main()
