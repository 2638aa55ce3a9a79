# autograder: starter (delete this line when you start: files that still have it are not graded)
"""udp-discover BROADCAST_ADDRESS PORT MESSAGE: the contract is in docs/exercises/udp-discover.md."""
import socket
import sys


def main() -> None:
    address, port, message = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    # TODO: make a UDP socket allowed to broadcast (SO_BROADCAST), send `message` once to
    # (address, port), then collect replies for 1 s in all (a deadline, not a timeout per reply).
    # Print "ADDRESS PORT REPLY" once per responder, in the order they first answered, and exit 0;
    # a reply is a datagram from port `port`. Nobody answered: a message on stderr, exit 1.
    sys.exit(f"udp-discover: not written yet (asked to broadcast {message!r} to {address}:{port})")


if __name__ == "__main__":
    main()
