# autograder: starter (delete this line when you start: files that still have it are not graded)
"""udp-upper-server HOST PORT: the contract is in docs/exercises/udp-upper-server.md."""
import socket
import sys


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    # TODO: make a UDP socket of the right address family for `host`, bind it to (host, port), and
    # answer every datagram, to the address it came from, with its bytes uppercased.
    sys.exit(f"udp-upper-server: not written yet (asked to serve {host}:{port})")


if __name__ == "__main__":
    main()
