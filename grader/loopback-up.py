# Brings up `lo` in a new network namespace (grader/isolation.ts, util-linux backend), which gives it
# 127.0.0.1 and ::1, as `ip link set lo up` would on a machine that has iproute2.
import fcntl, socket, struct

SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
    request = struct.pack('16sH22x', b'lo', 0)
    flags = struct.unpack('16sH', fcntl.ioctl(s, SIOCGIFFLAGS, request)[:18])[1]
    fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack('16sH22x', b'lo', flags | IFF_UP))
