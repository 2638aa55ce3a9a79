# autograder: starter (delete this line when you start: files that still have it are not graded)
"""tcp-concurrent-server HOST PORT: the contract is in docs/exercises/tcp-concurrent-server.md."""
import socket
import socketserver
import sys


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    # TODO: serve many clients at once (socketserver's ThreadingMixIn, a thread or fork per client,
    # or an event loop): send back everything each client sends with its letters uppercased, and
    # close its connection after its EOF.
    sys.exit(f"tcp-concurrent-server: not written yet (asked to serve {host}:{port})")


if __name__ == "__main__":
    main()
