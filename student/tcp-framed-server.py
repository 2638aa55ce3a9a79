# autograder: starter (delete this line when you start: files that still have it are not graded)
"""tcp-framed-server HOST PORT: the contract is in docs/exercises/tcp-framed-server.md."""
import socket
import struct
import sys

MAX_LENGTH = 1024 * 1024  # a longer announced length closes the connection without a reply


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    # TODO: listen on (host, port) with a TCP socket and serve clients one after another. A message is a
    # 4-byte big-endian length (struct "!I") then that many bytes; answer each with one message framed the
    # same way whose letters are uppercased. recv(n) may return fewer than n bytes.
    sys.exit(f"tcp-framed-server: not written yet (asked to serve {host}:{port}, max {MAX_LENGTH} bytes)")


if __name__ == "__main__":
    main()
