# The broadcast lab (broadcast-lab.ts): runs a student's discovery client beside test responders, inside
# a network namespace of its own (unshare --net), where nothing can leave the machine.
#
#   broadcast-lab.py SCENARIO.json LOG.jsonl -- COMMAND ARGS...   COMMAND beside the responders
#   broadcast-lab.py --probe                                       can this place broadcast? exit 0 if so
#
# It brings `lo` up (127.0.0.1/8, whose broadcast address is 127.255.255.255), binds the scenario's
# responders before the program starts (so no broadcast can come too early), then starts the program
# (its output is the program's own) and ends as it ends (same exit code or signal). The responders answer every
# datagram they hear, each from its own address and the port that was asked, and write what happened
# to LOG as JSON lines on the monotonic clock: what they heard (when the kernel received it, from where,
# to which address), what they sent (when planned, when done), and when the program ended.
import fcntl, heapq, json, os, select, signal, socket, struct, sys, time

IP_PKTINFO = getattr(socket, 'IP_PKTINFO', 8)
SO_TIMESTAMPNS = getattr(socket, 'SO_TIMESTAMPNS', 35)
BROADCAST = '127.255.255.255'


def loopback_up():
    SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        flags = struct.unpack('16sH', fcntl.ioctl(s, SIOCGIFFLAGS, struct.pack('16sH22x', b'lo', 0))[:18])[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack('16sH22x', b'lo', flags | IFF_UP))


def udp(address, port, listen=False):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if listen:
        s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
        s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    s.bind((address, port))
    return s


def receive(s):
    """(data, source, destination address, when the kernel received it on the monotonic clock)."""
    data, ancillary, _, source = s.recvmsg(65535, socket.CMSG_SPACE(12) + socket.CMSG_SPACE(16))
    now_mono, now_real = time.monotonic(), time.time()
    destination, received = None, now_mono
    for level, kind, payload in ancillary:
        if level == socket.IPPROTO_IP and kind == IP_PKTINFO and len(payload) >= 12:
            destination = socket.inet_ntoa(payload[8:12])
        elif level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(payload) >= 16:
            seconds, nanoseconds = struct.unpack('qq', payload[:16])
            received = min(now_mono, now_mono - (now_real - (seconds + nanoseconds / 1e9)))
    return data, source, destination, received


def probe():
    loopback_up()
    listen = udp('0.0.0.0', 0, listen=True)
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        client.sendto(b'probe', (BROADCAST, listen.getsockname()[1]))
        sys.exit('sent a broadcast without SO_BROADCAST: the checks could not tell a missing flag')
    except PermissionError:
        pass
    client.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    client.sendto(b'probe', (BROADCAST, listen.getsockname()[1]))
    if not select.select([listen], [], [], 10)[0]:
        sys.exit(f'a broadcast to {BROADCAST} was not delivered on lo')
    data, _, destination, _ = receive(listen)
    if data != b'probe' or destination != BROADCAST:
        sys.exit(f'a broadcast arrived as {data!r} to {destination}')


class Lab:
    def __init__(self, scenario, log_path):
        self.port = scenario['port']
        self.listen = udp('0.0.0.0', self.port, listen=True)
        # Each responder replies from its own address and the port asked; the unicast socket also hears
        # what a program sends to that address directly.
        self.responders = [dict(r, socket=udp(r['address'], self.port, listen=True)) for r in scenario.get('responders', [])]
        decoy = scenario.get('decoy')
        self.decoy = dict(decoy, socket=udp(decoy['address'], 0)) if decoy else None
        self.log_file = open(log_path, 'a', buffering=1)
        self.queue, self.sequence = [], 0

    def log(self, **event):
        self.log_file.write(json.dumps(event) + '\n')

    def schedule(self, at, action):
        self.sequence += 1
        heapq.heappush(self.queue, (at, self.sequence, action))

    def heard(self, s, name):
        data, source, destination, received = receive(s)
        self.log(event='heard', on=name, at=received, read=time.monotonic(), source=list(source), destination=destination, data=data.hex())
        for index, responder in enumerate(self.responders):
            for delay in responder.get('delays', []):
                self.schedule(received + delay, ('reply', index, source, received + delay, None))
            if responder.get('every'):
                self.schedule(received + responder['every'], ('reply', index, source, received + responder['every'], responder['every']))
        if self.decoy:
            self.schedule(received + self.decoy['after'], ('decoy', None, source, received + self.decoy['after'], None))

    def act(self, action):
        kind, index, to, planned, every = action
        sender = self.decoy if kind == 'decoy' else self.responders[index]
        sender['socket'].sendto(sender['reply'].encode(), to)
        self.log(event='sent', by=kind if kind == 'decoy' else index, planned=planned, at=time.monotonic())
        if every:
            self.schedule(planned + every, (kind, index, to, planned + every, every))

    def serve(self, program):
        """Answers until the program ends; returns its wait status."""
        try:
            ended = os.pidfd_open(program)
        except (AttributeError, OSError):
            ended = None  # no pidfd (old kernel or Python): the program is polled instead
        named = {self.listen: 'listen', **{r['socket']: f'responder {i}' for i, r in enumerate(self.responders)}}
        waiting = list(named) + ([ended] if ended is not None else [])
        while True:
            done, status = os.waitpid(program, os.WNOHANG)
            if done:
                self.log(event='ended', at=time.monotonic())
                return status
            timeout = 0.02 if ended is None else None
            if self.queue:
                timeout = max(0, min(1e9 if timeout is None else timeout, self.queue[0][0] - time.monotonic()))
            for s in select.select(waiting, [], [], timeout)[0]:
                if s is not ended:
                    self.heard(s, named[s])
            while self.queue and self.queue[0][0] <= time.monotonic():
                self.act(heapq.heappop(self.queue)[2])


def main():
    if sys.argv[1:] == ['--probe']:
        return probe()
    scenario_path, log_path, separator, *command = sys.argv[1:]
    assert separator == '--' and command, 'usage: broadcast-lab.py SCENARIO LOG -- COMMAND ARGS...'
    loopback_up()
    with open(scenario_path) as f:
        lab = Lab(json.load(f), log_path)
    program = os.fork()
    if program == 0:
        # The program gets none of the lab's sockets (Python's are close-on-exec).
        try:
            os.execvp(command[0], command)
        except OSError as error:
            print(f'cannot start {command[0]}: {error}', file=sys.stderr, flush=True)
            os._exit(127)
    try:
        status = lab.serve(program)
    except BaseException as error:
        lab.log(event='error', message=repr(error))
        os.kill(program, signal.SIGKILL)
        status = os.waitpid(program, 0)[1]
    # The program's end is the lab's: same exit code, or the same signal.
    if os.WIFSIGNALED(status):
        signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
        os.kill(os.getpid(), os.WTERMSIG(status))
    sys.exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 1)


main()
