# autograder: starter (delete this line when you start: files that still have it are not graded)
"""tcp-echo-server HOST PORT: the contract is in docs/exercises/tcp-echo-server.md."""
import socket
import sys


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    # TODO: make a TCP socket of the right address family for `host`, set SO_REUSEADDR, bind it to
    # (host, port), listen(5), and serve clients one after the other: send back every byte a client
    # sends until it closes its side, then close the connection and accept the next client.
    sys.exit(f"tcp-echo-server: not written yet (asked to serve {host}:{port})")


if __name__ == "__main__":
    main()
