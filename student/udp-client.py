# autograder: starter (delete this line when you start: files that still have it are not graded)
"""udp-client HOST PORT MESSAGE: the contract is in docs/exercises/udp-client.md."""
import socket
import sys


def main() -> None:
    host, port, message = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    # TODO: make a UDP socket of the right address family for `host`, send `message` to (host, port),
    # wait 1 s for the reply from that address, retransmit (4 tries in all), then print
    # "received <reply>" and exit 0, or print an error containing "timeout" to stderr and exit 1.
    sys.exit(f"udp-client: not written yet (asked to send {message!r} to {host}:{port})")


if __name__ == "__main__":
    main()
