#!/usr/bin/env bash
# Makes the pcap fixtures in OUTDIR (default pcap-fixtures/): the Linux kernel talking to itself
# over a veth pair between two network namespaces, recorded with tcpdump inside one of them.
# Usage (as root): scripts/make-fixtures.sh [OUTDIR]
#
# Namespace A holds veth end "ufx<PID>a" (02:99:00:00:00:01, 10.99.0.1/24, fd99::1/64),
# namespace B holds "ufx<PID>b"       (02:99:00:00:00:02, 10.99.0.2/24, fd99::2/64).
# Offloads are off on both ends so every frame carries a real checksum and segments are MTU-sized.
# Except in arp.pcap and ndp.pcap, neighbours are static (no ARP/NDP noise) and capture filters
# keep only the conversation. Everything created here is removed on exit, even on failure.
# See pcap-fixtures/README.md for what each capture holds.
set -euo pipefail

OUT="${1:-pcap-fixtures}"
HERE="$(cd "$(dirname "$0")" && pwd)"

if [ "$(id -u)" != 0 ]; then
  echo "make-fixtures: needs root (network namespaces, veth, tcpdump)" >&2
  exit 1
fi

# apt may be busy (another make target installing); retry a few times before giving up.
NEEDED=(tcpdump:tcpdump tshark:tshark ethtool:ethtool ping:iputils-ping python3:python3 ip:iproute2)
for attempt in 1 2 3 4 5 6; do
  "$HERE/ensure-debs.sh" "${NEEDED[@]}"
  missing=0
  for pair in "${NEEDED[@]}"; do command -v "${pair%%:*}" >/dev/null 2>&1 || missing=1; done
  [ "$missing" = 0 ] && break
  [ "$attempt" = 6 ] && { echo "make-fixtures: required commands still missing" >&2; exit 1; }
  sleep 10
done
PY="$(command -v python3)"

NS_A="un-fx-$$-a"
NS_B="un-fx-$$-b"
IF_A="ufx$$a"
IF_B="ufx$$b"
MAC_A=02:99:00:00:00:01
MAC_B=02:99:00:00:00:02
WORK="$(mktemp -d /tmp/usernet-fixtures.XXXXXX)"
CAPTURE_PID=""

cleanup() {
  set +e
  if [ -n "$CAPTURE_PID" ]; then kill -INT "$CAPTURE_PID" 2>/dev/null; wait "$CAPTURE_PID" 2>/dev/null; fi
  # Background jobs still running (a server helper after a failure) are ours: end them by PID.
  for pid in $(jobs -p); do kill "$pid" 2>/dev/null; done
  ip netns del "$NS_A" 2>/dev/null
  ip netns del "$NS_B" 2>/dev/null
  ip link del "$IF_A" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

inA() { ip netns exec "$NS_A" "$@"; }
inB() { ip netns exec "$NS_B" "$@"; }

# ---- the link -------------------------------------------------------------------------------
ip netns add "$NS_A"
ip netns add "$NS_B"
ip link add "$IF_A" address "$MAC_A" type veth peer name "$IF_B" address "$MAC_B"
ip link set "$IF_A" netns "$NS_A"
ip link set "$IF_B" netns "$NS_B"
for side in A B; do
  ns_var="NS_$side"; if_var="IF_$side"; ns="${!ns_var}"; dev="${!if_var}"
  ip netns exec "$ns" ip link set lo up
  # Silence the kernel's own chatter that is not part of any fixture.
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0
  ip netns exec "$ns" ethtool -K "$dev" tso off gso off gro off tx off rx off >/dev/null 2>&1 \
    || ip netns exec "$ns" ethtool -K "$dev" tso off gso off gro off tx off rx off
  ip netns exec "$ns" ip link set "$dev" up
done
inA ip addr add 10.99.0.1/24 dev "$IF_A"
inB ip addr add 10.99.0.2/24 dev "$IF_B"
inA ip -6 addr add fd99::1/64 dev "$IF_A" nodad
inB ip -6 addr add fd99::2/64 dev "$IF_B" nodad

static_neighbours() {
  inA ip neigh replace 10.99.0.2 lladdr "$MAC_B" dev "$IF_A" nud permanent
  inB ip neigh replace 10.99.0.1 lladdr "$MAC_A" dev "$IF_B" nud permanent
  inA ip -6 neigh replace fd99::2 lladdr "$MAC_B" dev "$IF_A" nud permanent
  inB ip -6 neigh replace fd99::1 lladdr "$MAC_A" dev "$IF_B" nud permanent
}
forget_neighbours() {
  inA ip neigh del 10.99.0.2 dev "$IF_A" 2>/dev/null || true
  inB ip neigh del 10.99.0.1 dev "$IF_B" 2>/dev/null || true
  inA ip -6 neigh del fd99::2 dev "$IF_A" 2>/dev/null || true
  inB ip -6 neigh del fd99::1 dev "$IF_B" 2>/dev/null || true
  inA ip neigh flush dev "$IF_A"
  inB ip neigh flush dev "$IF_B"
}
static_neighbours

# Let the link-local addresses finish DAD and the initial RS/MLD burst pass before capturing.
for _ in $(seq 1 50); do
  if ! inA ip -6 addr show dev "$IF_A" | grep -q tentative && ! inB ip -6 addr show dev "$IF_B" | grep -q tentative; then break; fi
  sleep 0.1
done
sleep 1

# ---- socket helper (python3 for precise socket behaviour) ---------------------------------
cat >"$WORK/fx.py" <<'EOF'
import socket, struct, sys, time

def family(host):
    return socket.AF_INET6 if ':' in host else socket.AF_INET

def pattern(n):
    # Deterministic, non-repeating within a segment: byte i is (i * 7 + i // 251) & 0xff.
    return bytes(((i * 7 + i // 251) & 0xff) for i in range(n))

def ready(path):
    with open(path, 'w') as f:
        f.write('ready\n')

def recv_all(s):
    total = 0
    while True:
        try:
            b = s.recv(65536)
        except ConnectionResetError:
            return total, 'reset'
        if not b:
            return total, 'eof'
        total += len(b)

def serve_tcp(host, port, mode, ready_path):
    ls = socket.socket(family(host), socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, port))
    ls.listen(1)
    ready(ready_path)
    s, _ = ls.accept()
    if mode == 'sink':
        recv_all(s)                      # until the client's FIN, then close: FIN back
    elif mode == 'halfclose':
        recv_all(s)                      # the client's request ends with its FIN
        data = pattern(24000)
        for i in range(0, len(data), 6000):
            s.sendall(data[i:i + 6000])  # keeps sending after the peer's FIN
            time.sleep(0.05)
    elif mode == 'reset':
        s.recv(100)
        s.sendall(b'pong\n')
        recv_all(s)                      # ends with the client's RST
    s.close()
    ls.close()

def client_tcp(host, port, lport, mode):
    s = socket.socket(family(host), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('10.99.0.1' if family(host) == socket.AF_INET else 'fd99::1', lport))
    try:
        s.connect((host, port))
    except ConnectionRefusedError:
        if mode == 'refused':
            return
        raise
    if mode == 'bulk':
        s.sendall(pattern(100000))
        s.shutdown(socket.SHUT_WR)
        recv_all(s)                      # the server's FIN
    elif mode == 'halfclose':
        s.sendall(b'GET /after-fin\n')
        s.shutdown(socket.SHUT_WR)       # our FIN; the server keeps sending
        n, how = recv_all(s)
        assert how == 'eof' and n == 24000, (n, how)
    elif mode == 'reset':
        s.sendall(b'ping\n')
        s.recv(100)
        time.sleep(0.1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    s.close()

def serve_udp(host, port, ready_path):
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.bind((host, port))
    ready(ready_path)
    for _ in range(3):
        b, peer = s.recvfrom(2048)
        s.sendto(b.upper(), peer)
    s.close()

def client_udp(host, port, closed_port, lport):
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.bind(('10.99.0.1' if family(host) == socket.AF_INET else 'fd99::1', lport))
    s.settimeout(2)
    for i in range(3):
        s.sendto(b'datagram %d from usernet fixtures\n' % i, (host, port))
        s.recvfrom(2048)
    s.sendto(b'nobody listens here\n', (host, closed_port))
    time.sleep(0.2)
    s.close()

cmd = sys.argv[1]
args = sys.argv[2:]
if cmd == 'serve-tcp': serve_tcp(args[0], int(args[1]), args[2], args[3])
elif cmd == 'client-tcp': client_tcp(args[0], int(args[1]), int(args[2]), args[3])
elif cmd == 'serve-udp': serve_udp(args[0], int(args[1]), args[2])
elif cmd == 'client-udp': client_udp(args[0], int(args[1]), int(args[2]), int(args[3]))
else: sys.exit('unknown command ' + cmd)
EOF

# ---- capture helpers --------------------------------------------------------------------------
# start_capture NAME SIDE FILTER: tcpdump on SIDE's veth end, full frames, classic pcap (µs).
start_capture() {
  local name="$1" side="$2" filter="$3" ns dev
  if [ "$side" = A ]; then ns="$NS_A"; dev="$IF_A"; else ns="$NS_B"; dev="$IF_B"; fi
  CURRENT="$name"
  ip netns exec "$ns" tcpdump -i "$dev" -s 0 -U --immediate-mode -n -Z root -w "$WORK/$name.pcap" $filter \
    2>"$WORK/$name.tcpdump.log" &
  CAPTURE_PID=$!
  for _ in $(seq 1 100); do
    grep -q 'listening on' "$WORK/$name.tcpdump.log" 2>/dev/null && break
    sleep 0.05
  done
  grep -q 'listening on' "$WORK/$name.tcpdump.log" || { cat "$WORK/$name.tcpdump.log" >&2; exit 1; }
}
stop_capture() {
  sleep 0.3                              # let the last frames reach the capture
  kill -INT "$CAPTURE_PID"
  wait "$CAPTURE_PID" || true
  CAPTURE_PID=""
  mv "$WORK/$CURRENT.pcap" "$OUT/$CURRENT.pcap"
  echo "make-fixtures: $CURRENT.pcap: $(grep -o '[0-9]* packets captured' "$WORK/$CURRENT.tcpdump.log")" >&2
}
# serve SIDE ARGS...: starts the python helper in a namespace, waits for its ready file.
serve() {
  local side="$1"; shift
  rm -f "$WORK/ready"
  if [ "$side" = A ]; then inA "$PY" "$WORK/fx.py" "$@" "$WORK/ready" & else inB "$PY" "$WORK/fx.py" "$@" "$WORK/ready" & fi
  SERVER_PID=$!
  for _ in $(seq 1 100); do [ -f "$WORK/ready" ] && return 0; sleep 0.05; done
  echo "make-fixtures: server did not start: $*" >&2
  exit 1
}
client() { inA "$PY" "$WORK/fx.py" "$@"; }

mkdir -p "$OUT"

# ---- TCP ----------------------------------------------------------------------------------------
start_capture tcp4-handshake-bulk A 'ip and tcp'
serve B serve-tcp 10.99.0.2 5001 sink
client client-tcp 10.99.0.2 5001 40001 bulk
wait "$SERVER_PID"
stop_capture

start_capture tcp6-handshake-bulk A 'ip6 and tcp'
serve B serve-tcp fd99::2 5001 sink
client client-tcp fd99::2 5001 40002 bulk
wait "$SERVER_PID"
stop_capture

start_capture tcp4-halfclose A 'ip and tcp'
serve B serve-tcp 10.99.0.2 5002 halfclose
client client-tcp 10.99.0.2 5002 40003 halfclose
wait "$SERVER_PID"
stop_capture

start_capture tcp4-rst A 'ip and tcp'
serve B serve-tcp 10.99.0.2 5003 reset
client client-tcp 10.99.0.2 5003 40004 reset
wait "$SERVER_PID"
stop_capture

start_capture tcp4-refused A 'ip and tcp'
client client-tcp 10.99.0.2 5999 40005 refused
stop_capture

start_capture tcp6-refused A 'ip6 and tcp'
client client-tcp fd99::2 5999 40006 refused
stop_capture

# ---- ICMP ---------------------------------------------------------------------------------------
start_capture icmp4-ping A 'icmp'
inA ping -n -q -c 3 -i 0.2 10.99.0.2 >/dev/null
stop_capture

start_capture icmp6-ping A 'icmp6 and not ip6 multicast'
inA ping -6 -n -q -c 3 -i 0.2 fd99::2 >/dev/null
stop_capture

# 'ip proto 1' matches every fragment (the protocol field is in each IPv4 header); IPv6
# fragments carry next header 44, so that capture keeps all unicast IPv6 instead.
start_capture icmp4-ping-frag A 'ip proto 1'
inA ping -n -q -c 2 -i 0.2 -s 4000 10.99.0.2 >/dev/null
stop_capture

start_capture icmp6-ping-frag A 'ip6 and not ip6 multicast'
inA ping -6 -n -q -c 2 -i 0.2 -s 4000 fd99::2 >/dev/null
stop_capture

# ---- UDP ----------------------------------------------------------------------------------------
start_capture udp4 A 'ip and (udp or icmp)'
serve B serve-udp 10.99.0.2 50007
client client-udp 10.99.0.2 50007 50999 40007
wait "$SERVER_PID"
stop_capture

start_capture udp6 A 'ip6 and not ip6 multicast'
serve B serve-udp fd99::2 50007
client client-udp fd99::2 50007 50999 40008
wait "$SERVER_PID"
stop_capture

# ---- neighbour discovery ------------------------------------------------------------------------
forget_neighbours
start_capture arp A 'arp or icmp'
inA ping -n -q -c 1 10.99.0.2 >/dev/null
stop_capture

# NDP is captured on B while A's end goes down and up: A's link-local DAD, router solicitations
# and MLD reports; then fd99::1 is added again without nodad (DAD for it) and a ping resolves
# fd99::2 with a neighbour solicitation and advertisement.
forget_neighbours
inA sysctl -qw "net.ipv6.conf.$IF_A.router_solicitation_delay=0" "net.ipv6.conf.$IF_A.router_solicitation_interval=1"
start_capture ndp B ''
inA ip link set "$IF_A" down
inA ip link set "$IF_A" up
sleep 2.5
inA ip -6 addr replace fd99::1/64 dev "$IF_A"
for _ in $(seq 1 50); do inA ip -6 addr show dev "$IF_A" | grep -q tentative || break; sleep 0.1; done
inA ip neigh flush dev "$IF_A"
inA ping -6 -n -q -c 1 fd99::2 >/dev/null
stop_capture

echo "make-fixtures: wrote $(ls "$OUT"/*.pcap | wc -l) captures to $OUT ($(du -ch "$OUT"/*.pcap | tail -1 | cut -f1))" >&2
