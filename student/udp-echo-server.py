# autograder: starter (delete this line when you start: files that still have it are not graded)
"""udp-echo-server HOST PORT: the contract is in docs/exercises/udp-echo-server.md."""
import socket
import sys


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    # TODO: make a UDP socket of the right address family for `host`, bind it to (host, port), and
    # send every datagram back, unchanged and from that same socket, to the address it came from.
    sys.exit(f"udp-echo-server: not written yet (asked to serve {host}:{port})")


if __name__ == "__main__":
    main()
