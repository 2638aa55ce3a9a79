# autograder: starter (delete this line when you start: files that still have it are not graded)
"""netutil OP VALUE: the contract is in docs/exercises/netutil.md."""
import socket
import sys


def main() -> None:
    if len(sys.argv) != 3:
        print("usage: netutil.py htonl|ntohl|htons|ntohs|aton|ntoa VALUE", file=sys.stderr)
        sys.exit(2)
    op, value = sys.argv[1], sys.argv[2]
    # TODO: print the result of `op` on `value` on one line (socket has htonl, ntohl, htons, ntohs,
    # inet_pton, inet_ntoa). Bad input: one line on stderr and sys.exit(2), never a traceback.
    print(f"netutil: {op} is not written yet (value {value!r})", file=sys.stderr)
    sys.exit(2)


if __name__ == "__main__":
    main()
