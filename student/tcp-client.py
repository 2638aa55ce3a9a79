# autograder: starter (delete this line when you start: files that still have it are not graded)
"""tcp-client HOST PORT MESSAGE: the contract is in docs/exercises/tcp-client.md."""
import socket
import sys


def main() -> None:
    host, port, message = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    # TODO: connect to (host, port) (host may be a name such as localhost), send `message`, shut down
    # the sending side, read the reply until the server closes, and print "Received <reply>".
    # Connection refused, or 2 s without progress: print an error to stderr and exit 1.
    sys.exit(f"tcp-client: not written yet (asked to send {message!r} to {host}:{port})")


if __name__ == "__main__":
    main()
