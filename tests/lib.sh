# SPDX-License-Identifier: GPL-2.0
# tests/lib.sh - shared helpers of the namespace tests and the demo (sourced).
#
# A test is a bash script that sources this file, builds its namespaces with
# setup_pair, and reports one line per check on stdout:
#   ok NAME        FAIL NAME: expected X, got Y        skip NAME: reason
# and ends with `finish`. Everything it creates (namespaces, veths, servers,
# attachments, pins, temp files) is removed by the EXIT trap, also when the
# script dies half-way; a script that ends without `finish` reports a FAIL.
#
# Names: every namespace and interface is "so" + a tag + a role + a per-run
# id ($$ and 8 random bits in hex, at most 8 characters), so at most 15
# characters with a tag of up to 4. Addresses: 198.18.0.0/15
# and 2001:2::/48 only (benchmarking ranges, RFC 2544 and RFC 5180); the
# namespaces get no default route, so nothing can leave them.
#
# Environment: SHAKEOFF (the CLI; default $O/shakeoff, O default build),
# PY (default /usr/bin/python3), V=1 (print the commands that run),
# DEBUG=1 (on failure, open a shell in the server namespace before cleanup),
# SHAKEOFF_TEST_COMPLETE=kernel (the tests that run in either completion
# mode run in kernel mode, the others skip: require_complete).

set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
O=${O:-build}
case $O in /*) ;; *) O=$TOP/$O ;; esac
SHAKEOFF=${SHAKEOFF:-$O/shakeoff}
PY=${PY:-/usr/bin/python3}
# The connection state names in enum so_conn_state's order, as make generates
# them from SO_CONN_STATES (include/shakeoff.h; make test builds the file).
CONN_STATES_FILE=$O/tests/conn_states
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in the tree
TCPTOOL=$TOP/tests/netns/tcptool.py # sockets: servers, clients, scripted peers
RAWTOOL=$TOP/tests/netns/rawtool.py # raw frames (scapy): probes, floods, bad frames
V=${V:-0}
DEBUG=${DEBUG:-0}

# Test name: the script's name without "test_" and ".sh".
TEST=${TEST:-$(basename "$0" .sh)}
TEST=${TEST#test_}

RUNID=$(printf '%x%02x' $$ $((RANDOM % 256)))
PIN_ROOT=/sys/fs/bpf/shakeoff

# Addresses of every pair (each pair lives in its own two namespaces).
C4=198.18.0.1
S4=198.18.0.2
C6=2001:2::1
S6=2001:2::2

_NS=()         # namespaces to delete
_PIDS=()       # background processes to end
_ATTACHED=()   # "NS IFACE" pairs to detach
_PINDIRS=()    # pin directories that must not outlive the run
_FAILS=0
_DONE=0
TMPD=

# --- reporting -------------------------------------------------------------

ok() { echo "ok $TEST/$1"; }
skip() { echo "skip $TEST/$1: $2"; }
fail() {
	echo "FAIL $TEST/$1: $2"
	_FAILS=$((_FAILS + 1))
}
say() { echo "# $*"; }
# V=1 chatter goes to fd 7, the script's stdout, so that a command
# substitution never captures it.
exec 7>&1
vsay() { [ "$V" = 1 ] && echo "# $*" >&7; return 0; }

# check_eq NAME EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "expected '$2', got '$3'"; fi
}

# check_num NAME OP N ACTUAL: ACTUAL must be an integer and ACTUAL OP N
# (OP one of -eq -ne -ge -gt -le -lt).
check_num() {
	local name=$1 op=$2 n=$3 actual=$4
	if ! [[ $n =~ ^[0-9]+$ ]]; then
		fail "$name" "no reference value to compare $actual with (got '$n')"
	elif ! [[ $actual =~ ^[0-9]+$ ]]; then
		fail "$name" "expected a number $op $n, got '$actual'"
	elif test "$actual" "$op" "$n"; then
		ok "$name"
	else
		fail "$name" "expected $op $n, got $actual"
	fi
}

# check_grep NAME REGEX TEXT: TEXT must match the extended REGEX.
check_grep() {
	if grep -Eq -- "$2" <<<"$3"; then ok "$1"; else fail "$1" "expected /$2/ in '$(_oneline "$3")'"; fi
}

# check_nogrep NAME REGEX TEXT: TEXT must not match.
check_nogrep() {
	if [ -z "$3" ]; then
		fail "$1" "nothing to look at (empty output)"
	elif grep -Eq -- "$2" <<<"$3"; then fail "$1" "expected no /$2/ in '$(_oneline "$3")'"; else ok "$1"; fi
}

# check_run NAME CMD...: CMD must exit 0; on failure its output is shown.
check_run() {
	local name=$1 out rc
	shift
	vsay "$*"
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then ok "$name"; else fail "$name" "'$*' exited $rc: $(_oneline "$out")"; fi
	return $rc
}

_oneline() { tr '\n' ' ' <<<"$1" | sed 's/ *$//' | cut -c1-400; }

# bail NAME MESSAGE: a check failed that the rest of the script depends on.
bail() {
	fail "$1" "$2"
	_DONE=1
	exit 1
}

# finish: the last line of every test.
finish() {
	_DONE=1
	exit $((_FAILS > 0))
}

# --- preconditions -----------------------------------------------------------

# require_root: every test needs root (namespaces, BPF); skip otherwise.
require_root() {
	if [ "$(id -u)" != 0 ]; then
		skip all "needs root"
		_DONE=1
		exit 0
	fi
}

# require_cmd CMD...: skip the whole test if a tool is missing.
require_cmd() {
	local c
	for c in "$@"; do
		if ! command -v "$c" >/dev/null; then
			skip all "$c not installed (make deps)"
			_DONE=1
			exit 0
		fi
	done
}

# require_scapy: skip the whole test without python3-scapy (rawtool's frames).
require_scapy() {
	if ! "$PY" -c 'import scapy' 2>/dev/null; then
		skip all "python3-scapy not installed (make deps)"
		_DONE=1
		exit 0
	fi
}

# require_shakeoff: the CLI must be built; its absence is a failure. And
# the kernel must have what the test's attach needs (require_kfunc): on a
# kernel without the kfunc attach picks completion mode kernel, whose
# sysctls and limits these tests do not set up. The tests that run in
# either mode use require_complete instead.
require_shakeoff() {
	require_cli
	require_kfunc
}

# require_cli: the CLI only, for the tests of what attach picks or forces
# on any kernel (completion mode kernel, the feature probe).
require_cli() {
	[ -x "$SHAKEOFF" ] || bail cli "shakeoff not built: $SHAKEOFF missing (make, or SHAKEOFF=path)"
}

# has_kfunc: the kernel has the kfunc bpf_sk_assign_tcp_reqsk (6.9+; not
# Debian 12's 6.1), which kfunc mode needs. A feature probe: the name in
# the kernel's BTF. Without BTF at all it answers yes: attach says so itself.
has_kfunc() {
	[ -r /sys/kernel/btf/vmlinux ] || return 0
	grep -qa bpf_sk_assign_tcp_reqsk /sys/kernel/btf/vmlinux
}

# require_kfunc: skip the whole test where kfunc mode cannot run: the
# kernel lacks the kfunc, or SHAKEOFF_TEST_COMPLETE=kernel asks for kernel
# mode, which this test does not cover. Kernel mode's own tests
# (test_kcookie*, test_features) use require_cli and run anywhere.
require_kfunc() {
	if [ "${SHAKEOFF_TEST_COMPLETE:-}" = kernel ]; then
		skip all "SHAKEOFF_TEST_COMPLETE=kernel, and this test covers completion mode kfunc only"
	elif ! has_kfunc; then
		skip all "this kernel lacks the kfunc bpf_sk_assign_tcp_reqsk (not in its BTF)"
	else
		return 0
	fi
	_DONE=1
	exit 0
}

# require_complete: the CLI, and the completion mode the test runs in, in
# COMPLETE: kernel where the kernel lacks the kfunc (the mode attach picks
# there) or where SHAKEOFF_TEST_COMPLETE=kernel forces it (every so_attach
# then adds --complete kernel), kfunc otherwise. In kernel mode setup_pair
# gives the server's namespace the sysctls kernel mode needs (attach
# refuses without them): tcp_syncookies=2, tcp_timestamps=2. A test whose
# expectations differ by mode reads COMPLETE and says why.
COMPLETE=kfunc
_COMPLETE_ARGS=()
require_complete() {
	require_cli
	case ${SHAKEOFF_TEST_COMPLETE:-} in
	"") has_kfunc || COMPLETE=kernel ;;
	kernel) COMPLETE=kernel _COMPLETE_ARGS=(--complete kernel) ;;
	kfunc) require_kfunc ;;
	*) bail complete "SHAKEOFF_TEST_COMPLETE='$SHAKEOFF_TEST_COMPLETE': expected kfunc or kernel" ;;
	esac
	say "completion mode $COMPLETE"
}

# complete_sysctls NS: what completion mode kernel needs in the listener's
# namespace (nothing in kfunc mode).
complete_sysctls() {
	[ "$COMPLETE" = kernel ] || return 0
	ip netns exec "$1" sysctl -qw net.ipv4.tcp_syncookies=2 net.ipv4.tcp_timestamps=2
}

# --- cleanup -------------------------------------------------------------------

_cleanup() {
	local rc=$? ns p i d
	set +eu
	trap '' PIPE HUP INT TERM # finish cleaning up whatever happens to stdout
	if [ "$_DONE" != 1 ]; then
		echo "FAIL $TEST/script: ended early (status $rc) before finish"
		rc=1
	fi
	if [ "$DEBUG" = 1 ] && [ "$_FAILS" -gt 0 ] && [ -n "${SNS:-}" ] && [ -t 0 ]; then
		echo "# DEBUG=1: shell in $SNS; exit to clean up" >&2
		ip netns exec "$SNS" bash </dev/tty >/dev/tty 2>&1
	fi
	for ((i = ${#_ATTACHED[@]} - 1; i >= 0; i--)); do
		# shellcheck disable=SC2086
		set -- ${_ATTACHED[i]}
		[ -e "/run/netns/$1" ] || continue
		if [ "$_FAILS" -gt 0 ] || [ "$rc" != 0 ]; then
			# What the counters said when it went wrong.
			nsenter --net="/run/netns/$1" "$SHAKEOFF" stats "$2" -j 2>/dev/null |
				sed "s/^/# stats $2: /"
		fi
		nsenter --net="/run/netns/$1" "$SHAKEOFF" detach "$2" >/dev/null 2>&1
	done
	for p in "${_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	# Anything still running inside our namespaces was started by this test.
	for ns in "${_NS[@]}"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$p" 2>/dev/null
		done
	done
	for d in "${_PINDIRS[@]}"; do
		if [ -e "$d" ]; then
			echo "# cleanup: removing pins left behind in $d"
			rm -rf "$d"
		fi
		rmdir "$(dirname "$d")" 2>/dev/null
	done
	for ns in "${_NS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "$TMPD" ] && rm -rf "$TMPD"
	exit $rc
}
trap _cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 141' PIPE
trap 'exit 143' TERM

TMPD=$(mktemp -d /tmp/shakeoff-test.XXXXXX)
chmod 755 "$TMPD"

# --- namespaces and the veth pair ------------------------------------------------

# setup_pair [TAG [CIF SIF]]: a client and a server namespace joined by a
# veth pair, created directly inside the namespaces (so two pairs may reuse
# interface names). Sets CNS SNS (namespaces) and CIF SIF (interfaces).
# TAG (one character, default "a") tells several pairs of one run apart.
# In completion mode kernel the server's namespace gets its sysctls
# (complete_sysctls).
setup_pair() {
	local tag=${1:-a}
	CNS=so${tag}c$RUNID
	SNS=so${tag}s$RUNID
	CIF=${2:-so${tag}c$RUNID}
	SIF=${3:-so${tag}s$RUNID}
	vsay "setup_pair: $CNS/$CIF <-> $SNS/$SIF"
	if [ ${#CIF} -gt 15 ] || [ ${#SIF} -gt 15 ]; then
		echo "setup_pair: interface name $CIF or $SIF is longer than 15 characters" >&2
		return 1
	fi
	ip netns add "$CNS" || return 1
	_NS+=("$CNS")
	ip netns add "$SNS" || return 1
	_NS+=("$SNS")
	ip -n "$CNS" link add "$CIF" type veth peer name "$SIF" netns "$SNS" || return 1
	ip -n "$CNS" link set lo up &&
		ip -n "$SNS" link set lo up &&
		ip -n "$CNS" addr add $C4/24 dev "$CIF" &&
		ip -n "$SNS" addr add $S4/24 dev "$SIF" &&
		ip -n "$CNS" addr add $C6/64 dev "$CIF" nodad &&
		ip -n "$SNS" addr add $S6/64 dev "$SIF" nodad &&
		ip netns exec "$CNS" ethtool -K "$CIF" tx off gro on >/dev/null &&
		ip -n "$CNS" link set "$CIF" up &&
		ip -n "$SNS" link set "$SIF" up || return 1
	_PINDIRS+=("$(pin_dir "$SNS" "$SIF")")
	complete_sysctls "$SNS" || return 1
	# Both ends must be up (carrier) before the first packet.
	for _ in $(seq 50); do
		ip -n "$CNS" -br link show dev "$CIF" | grep -q ' UP ' &&
			ip -n "$SNS" -br link show dev "$SIF" | grep -q ' UP ' && return 0
		sleep 0.1
	done
	return 1
}

# ns_new NAME: one more namespace (lo up), deleted by the cleanup.
ns_new() {
	ip netns add "$1" || return 1
	_NS+=("$1")
	ip -n "$1" link set lo up
}

# veth_join NS1 IF1 ADDR1 ADDR1V6 NS2 IF2 ADDR2 ADDR2V6: a veth pair between
# two namespaces, addresses with their prefix (198.18.x.y/24, 2001:2:..::1/64),
# both ends up, checksums in software and GRO on (so that XDP_TX and
# redirected frames are taken by the peer); waits for the carrier.
veth_join() {
	local n1=$1 i1=$2 a1=$3 b1=$4 n2=$5 i2=$6 a2=$7 b2=$8 _i
	ip -n "$n1" link add "$i1" type veth peer name "$i2" netns "$n2" || return 1
	ip -n "$n1" addr add "$a1" dev "$i1" && ip -n "$n1" addr add "$b1" dev "$i1" nodad &&
		ip -n "$n2" addr add "$a2" dev "$i2" && ip -n "$n2" addr add "$b2" dev "$i2" nodad &&
		ip netns exec "$n1" ethtool -K "$i1" tx off gro on >/dev/null &&
		ip netns exec "$n2" ethtool -K "$i2" tx off gro on >/dev/null &&
		ip -n "$n1" link set "$i1" up && ip -n "$n2" link set "$i2" up || return 1
	for _i in $(seq 50); do
		ip -n "$n1" -br link show dev "$i1" | grep -q ' UP ' &&
			ip -n "$n2" -br link show dev "$i2" | grep -q ' UP ' && return 0
		sleep 0.1
	done
	return 1
}

client_ns_exec() { ip netns exec "$CNS" "$@"; }
server_ns_exec() { ip netns exec "$SNS" "$@"; }

# ns_inode NS: the inode of a named namespace, as the CLI names its pin dir.
ns_inode() { stat -L -c %i "/run/netns/$1"; }

# pin_dir NS IFACE: where the CLI pins an attachment.
pin_dir() { echo "$PIN_ROOT/ns-$(ns_inode "$1")/$2"; }

# --- the CLI -----------------------------------------------------------------------

# shakeoff_in NS ARGS...: run the CLI inside NS (nsenter keeps /sys/fs/bpf).
shakeoff_in() {
	local ns=$1
	shift
	vsay "nsenter --net=/run/netns/$ns shakeoff $*"
	nsenter --net="/run/netns/$ns" "$SHAKEOFF" "$@"
}

# so_attach NS IFACE ARGS...: attach and remember to detach (with
# --complete kernel when SHAKEOFF_TEST_COMPLETE=kernel forces that mode:
# require_complete). Its stdout and stderr go to $TMPD/attach.out and .err.
so_attach() {
	local ns=$1 ifc=$2 rc
	shift 2
	_ATTACHED+=("$ns $ifc")
	shakeoff_in "$ns" attach "$ifc" "$@" "${_COMPLETE_ARGS[@]}" >"$TMPD/attach.out" 2>"$TMPD/attach.err"
	rc=$?
	[ "$V" = 1 ] && sed 's/^/#   /' "$TMPD/attach.out" "$TMPD/attach.err" >&7
	return $rc
}

# attach_or_bail NS IFACE ARGS...
attach_or_bail() {
	so_attach "$@" || bail attach "'shakeoff attach ${*:2}' in $1 exited $?: $(_oneline "$(cat "$TMPD/attach.err")")"
}

# json_get KEY < JSON: print one field (dotted path for nested objects, an
# integer index for arrays). Booleans print as true/false; a missing key
# prints nothing and returns 1.
json_get() {
	"$PY" -c '
import json, sys
try:
    v = json.load(sys.stdin)
    for k in sys.argv[1].split("."):
        v = v[int(k)] if isinstance(v, list) else v[k]
except Exception:
    sys.exit(1)
print(json.dumps(v) if isinstance(v, (bool, list, dict)) or v is None else v)
' "$1"
}

# so_stat NS IFACE COUNTER: one counter from `shakeoff stats IFACE -j`.
so_stat() { shakeoff_in "$1" stats "$2" -j 2>/dev/null | json_get "$3"; }

# stat_reaches NS IFACE KEY N [SECONDS]: wait (default 20 s) until the
# counter KEY is N or more; print its last value (the caller checks it, so
# a slow machine takes longer instead of failing).
stat_reaches() {
	local v i
	for ((i = 0; i < ${5:-20} * 10; i++)); do
		v=$(so_stat "$1" "$2" "$3")
		[[ $v =~ ^[0-9]+$ ]] && [ "$v" -ge "$4" ] && break
		sleep 0.1
	done
	echo "$v"
}

# so_status NS IFACE KEY: one field of `shakeoff status IFACE -j`.
so_status() { shakeoff_in "$1" status "$2" -j 2>/dev/null | json_get "$3"; }

# iface_leftovers NS IFACE: print what of ours is still on IFACE (XDP, tc
# filters, TCX or other bpftool-visible programs); nothing when clean.
iface_leftovers() {
	local ns=$1 ifc=$2 out
	out=$(ip -n "$ns" -d link show dev "$ifc" 2>&1)
	grep -qw -e 'xdp' -e 'xdpgeneric' -e 'prog/xdp' <<<"$out" && echo "xdp: $(grep -o 'prog/xdp.*' <<<"$out")"
	out=$(tc -n "$ns" filter show dev "$ifc" ingress 2>/dev/null; tc -n "$ns" filter show dev "$ifc" egress 2>/dev/null)
	[ -n "$out" ] && echo "tc: $(_oneline "$out")"
	out=$(nsenter --net="/run/netns/$ns" bpftool net show dev "$ifc" 2>/dev/null | grep -v -e '^[a-z_]*:$' -e '^$')
	[ -n "$out" ] && echo "bpftool net: $(_oneline "$out")"
	return 0
}

# check_clean NAME NS IFACE: nothing of shakeoff pinned for or attached to
# IFACE in NS.
check_clean() {
	local name=$1 d left
	d=$(pin_dir "$2" "$3")
	if [ -e "$d" ]; then
		fail "$name.no_pins" "expected no $d, found: $(_oneline "$(ls -A "$d")")"
	else
		ok "$name.no_pins"
	fi
	left=$(iface_leftovers "$2" "$3")
	if [ -z "$left" ]; then ok "$name.iface_clean"; else fail "$name.iface_clean" "still on $3: $(_oneline "$left")"; fi
}

# check_refused NAME RC ERRFILE NS IFACE: the CLI refused a command as it
# should: exit 1 (error) or 2 (usage), exactly one line on stderr, and
# nothing pinned or attached for IFACE afterwards.
check_refused() {
	local name=$1 rc=$2 err=$3 lines
	if [ "$rc" = 1 ] || [ "$rc" = 2 ]; then
		ok "$name.exit"
	else
		fail "$name.exit" "expected exit status 1 or 2, got $rc"
	fi
	lines=$(grep -c '' "$err")
	if [ "$lines" = 1 ]; then
		ok "$name.one_line"
		vsay "stderr: $(cat "$err")"
	else
		fail "$name.one_line" "expected one line on stderr, got $lines: '$(_oneline "$(cat "$err")")'"
	fi
	check_clean "$name" "$4" "$5"
}

# --- processes in the namespaces ------------------------------------------------------

# ns_bg NS CMD...: start CMD in the background inside NS; its pid is in
# BG_PID, its output in BG_LOG. Ended by the cleanup.
_BGN=0
ns_bg() {
	local ns=$1
	shift
	_BGN=$((_BGN + 1))
	BG_LOG=$TMPD/bg.$_BGN.log
	vsay "ip netns exec $ns $* &"
	ip netns exec "$ns" "$@" >"$BG_LOG" 2>&1 &
	BG_PID=$!
	_PIDS+=("$BG_PID")
}

# wait_port NS PORT: wait (up to 10 s) until something listens on TCP PORT.
wait_port() {
	local i
	for i in $(seq 100); do
		ip netns exec "$1" ss -Hltn "sport = :$2" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# start_http NS PORT: python3 -m http.server --bind :: PORT, serving a small
# index.html; waits until it listens.
start_http() {
	mkdir -p "$TMPD/www"
	echo "shakeoff test page" >"$TMPD/www/index.html"
	ns_bg "$1" "$PY" -m http.server --bind :: --directory "$TMPD/www" "$2"
	wait_port "$1" "$2"
}

# start_httpd NS PORT: the same file server with a listen backlog of 1024,
# for ab -c 200 (python3 -m http.server listens with a backlog of 5).
start_httpd() {
	mkdir -p "$TMPD/www"
	echo "shakeoff test page" >"$TMPD/www/index.html"
	ns_bg "$1" "$PY" "$TCPTOOL" http "$2" "$TMPD/www"
	wait_port "$1" "$2"
}

# start_tcptool NS PORT: the XFER/ECHO server of tcptool.py.
start_tcptool() {
	ns_bg "$1" "$PY" "$TCPTOOL" serve "$2"
	wait_port "$1" "$2"
}

# hold_open NS HOST PORT: open one long connection to a tcptool server and
# exchange data on it; returns once it is established (HOLD_PID, HOLD_LOG).
_HOLDN=0
hold_open() {
	local i
	_HOLDN=$((_HOLDN + 1))
	HOLD_CTL=$TMPD/hold.$_HOLDN
	mkdir -p "$HOLD_CTL"
	ns_bg "$1" "$PY" "$TCPTOOL" hold "$2" "$3" "$HOLD_CTL"
	HOLD_PID=$BG_PID HOLD_LOG=$BG_LOG
	for i in $(seq 100); do
		[ -e "$HOLD_CTL/ready" ] && return 0
		kill -0 "$HOLD_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# hold_close: exchange more data on the held connection and close it; 0 when
# every byte came back.
hold_close() {
	touch "$HOLD_CTL/go"
	wait "$HOLD_PID"
}

# What ss -tino prints for each option in force on a socket.
SS_TS='(^|[[:space:]])ts([[:space:]]|$)'
SS_SACK='(^|[[:space:]])sack([[:space:]]|$)'
SS_WSCALE='(^|[[:space:]])wscale:[0-9]+,[0-9]+'

# held_check NAME HOST PORT: hold a connection from $CNS to a tcptool
# server in $SNS open, read ss's details of its server end (INFO) and its
# client end (CINFO), then exchange data again and close it: checks
# NAME.data, or fails NAME.connect and returns 1.
held_check() {
	local name=$1 host=$2 port=$3
	if ! hold_open "$CNS" "$host" "$port"; then
		fail "$name.connect" "connection to $host:$port failed: $(_oneline "$(cat "$HOLD_LOG")")"
		return 1
	fi
	INFO=$(sock_info "$SNS" "$port")
	CINFO=$(ip netns exec "$CNS" ss -Htino state established "( dport = :$port )")
	vsay "server: $INFO"
	vsay "client: $CINFO"
	if hold_close; then ok "$name.data"; else fail "$name.data" "$(_oneline "$(cat "$HOLD_LOG")")"; fi
}

# drop_third_acks NS PORT: an nft rule in NS (a client's) that drops the
# pure ACK that follows each SYN-ACK to PORT, once per connection (its 2nd
# packet); nft_rule_count NS "inet so_lost output" "third ack" counts them.
drop_third_acks() {
	ip netns exec "$1" nft -f - <<EOF
table inet so_lost {
	chain output {
		type filter hook output priority filter; policy accept;
		tcp dport $2 tcp flags == ack ct original packets 2 counter drop comment "third ack"
	}
}
EOF
}

# sock_info NS PORT: ss's details of the established sockets of local PORT
# (-o prints ts and sack, iproute2 6.1).
sock_info() { ip netns exec "$1" ss -Htino state established "( sport = :$2 )"; }

# http_code NS URL: the HTTP status of one curl GET (000 when it failed).
http_code() {
	ip netns exec "$1" curl -g -sS -o /dev/null -w '%{http_code}' --connect-timeout 5 --max-time 15 "$2" 2>"$TMPD/curl.err"
}

# check_http NAME NS URL: one GET must return 200.
check_http() {
	local code
	code=$(http_code "$2" "$3")
	if [ "$code" = 200 ]; then ok "$1"; else fail "$1" "GET $3: expected 200, got '$code' $(_oneline "$(cat "$TMPD/curl.err")")"; fi
}

# --- nftables: SYNs that reached the stack -------------------------------------------------

# syn_counters NS TABLE HOOK PORT...: an inet TABLE with a chain named as
# its HOOK, at raw priority, counting the SYNs to each PORT (rule comments
# "syn PORT").
syn_counters() {
	local ns=$1 table=$2 hook=$3 p rules=
	shift 3
	for p in "$@"; do
		rules+="tcp dport $p tcp flags & (syn|ack) == syn counter comment \"syn $p\";"
	done
	ip netns exec "$ns" nft -f - <<-EOF
	table inet $table {
		chain $hook {
			type filter hook $hook priority raw; policy accept;
			$rules
		}
	}
	EOF
}

# nft_syn_counters NS PORT...: count, at raw prerouting (after XDP and TC,
# before the TCP stack), the SYNs to each PORT.
nft_syn_counters() { syn_counters "$1" so_test prerouting "${@:2}"; }

# nft_syn_count NS PORT: packets counted by the rule of PORT.
nft_syn_count() { nft_rule_count "$1" "inet so_test prerouting" "syn $2"; }

# client_syn_counters PORT...: count, at the client's output, the SYNs it
# sends to each PORT, retransmissions included: what XDP on the server's
# veth then sees, so a test can expect exact counts of SYNs and answers.
client_syn_counters() { syn_counters "$CNS" so_sent output "$@"; }

# client_syn_count PORT: the SYNs the client sent to PORT so far.
client_syn_count() { nft_rule_count "$CNS" "inet so_sent output" "syn $1"; }

# nft_rule_count NS "FAMILY TABLE CHAIN" COMMENT: the packets counted by the
# rule with that comment.
nft_rule_count() {
	# shellcheck disable=SC2086
	ip netns exec "$1" nft -j list chain $2 | "$PY" -c '
import json, sys
for o in json.load(sys.stdin)["nftables"]:
    r = o.get("rule")
    if r and r.get("comment") == sys.argv[1]:
        print([e["counter"]["packets"] for e in r["expr"] if "counter" in e][0])
' "$3"
}

# wide_client_ports: give the client namespace the widest ephemeral port
# range. A client under load reuses a local port within seconds of closing
# it, while the server (which closes first in HTTP/1.0) still holds that
# 4-tuple in TIME-WAIT; the wider the range, the rarer that is. That case
# has its own test (test_http's time_wait_reuse); the load tests use this so
# as to test what they are about.
wide_client_ports() { client_ns_exec sysctl -qw net.ipv4.ip_local_port_range="1024 65535"; }

# --- ab -------------------------------------------------------------------------------

# ab_field FILE FIELD: a number from ab's report ("Failed requests" ...);
# "Non-2xx responses" is absent from the report when it is 0.
ab_field() {
	local v
	v=$(sed -n "s/^$2: *\([0-9]*\).*/\1/p" "$1" | head -1)
	if [ -z "$v" ] && [ "$2" = "Non-2xx responses" ] && grep -q '^Complete requests' "$1"; then
		v=0
	fi
	echo "$v"
}

# check_ab NAME FILE N: ab completed N requests, none failed, all 2xx.
check_ab() {
	local name=$1 f=$2 n=$3
	check_eq "$name.complete" "$n" "$(ab_field "$f" "Complete requests")"
	check_eq "$name.failed" 0 "$(ab_field "$f" "Failed requests")"
	check_eq "$name.non2xx" 0 "$(ab_field "$f" "Non-2xx responses")"
	if ! grep -q '^Complete requests' "$f"; then
		say "ab: $(_oneline "$(tail -5 "$f")")"
	fi
}

# --- background commands that need bpffs, and waiting for files -------------------

# so_bg NS CMD...: like ns_bg, but through nsenter, which keeps /sys/fs/bpf
# visible (ip netns exec remounts /sys): for the CLI itself in the
# background. BG_PID, BG_LOG; ended by the cleanup.
so_bg() {
	local ns=$1
	shift
	_BGN=$((_BGN + 1))
	BG_LOG=$TMPD/bg.$_BGN.log
	vsay "nsenter --net=/run/netns/$ns $* &"
	nsenter --net="/run/netns/$ns" "$@" >"$BG_LOG" 2>&1 &
	BG_PID=$!
	_PIDS+=("$BG_PID")
}

# wait_file PATH [SECONDS [PID...]]: wait (default 30 s) until PATH exists;
# give up early when one of the PIDs has ended.
wait_file() {
	local path=$1 secs=${2:-30} p i
	shift 2 2>/dev/null || shift $#
	for ((i = 0; i < secs * 20; i++)); do
		[ -e "$path" ] && return 0
		for p in "$@"; do
			kill -0 "$p" 2>/dev/null || { [ -e "$path" ]; return; }
		done
		sleep 0.05
	done
	return 1
}

# mac_of NS IFACE: the interface's MAC address.
mac_of() { ip -n "$1" -j link show dev "$2" | json_get 0.address; }

# --- the connection table against the server's sockets -----------------------------

# ss_state NS LPORT RPORT: the server socket of that port pair in NS, named
# as shakeoff conns names states (established, close_wait, ...), or none.
ss_state() {
	local s
	s=$(ip netns exec "$1" ss -tanH "( sport = :$2 and dport = :$3 )" | awk 'NR == 1 { print $1 }')
	case $s in
	'') echo none ;;
	ESTAB) echo established ;;
	SYN-RECV) echo syn_received ;;
	*) tr 'A-Z-' 'a-z_' <<<"$s" ;;
	esac
}

# conns_entry NS IFACE SPORT DPORT [KEY]: one field (default state) of the
# conns -j row with that client port and server port; "none" when there is
# no such row, "error" when conns failed.
conns_entry() {
	shakeoff_in "$1" conns "$2" -j 2>/dev/null | "$PY" -c '
import json, sys
try:
    rows = json.load(sys.stdin)
except Exception:
    print("error"); sys.exit()
m = [r for r in rows if r["sport"] == int(sys.argv[1]) and r["dport"] == int(sys.argv[2])]
v = m[0][sys.argv[3]] if m else "none"
print("null" if v is None else v)
' "$3" "$4" "${5:-state}"
}

# pair_stats: `shakeoff stats -j` of the pair's server interface ($SIF in $SNS).
pair_stats() { shakeoff_in "$SNS" stats "$SIF" -j 2>/dev/null; }

# stats_pick JSON KEY...: "key=value ..." from a stats -j object; with two
# objects (BEFORE AFTER, separated by a newline) the differences.
stats_pick() {
	local json=$1
	shift
	"$PY" -c '
import json, sys
objs = [json.loads(l) for l in sys.argv[1].splitlines() if l.strip()]
out = []
for k in sys.argv[2:]:
    v = objs[-1].get(k)
    if len(objs) == 2 and v is not None and objs[0].get(k) is not None:
        v -= objs[0][k]
    out.append("%s=%s" % (k, v))
print(" ".join(out))
' "$json" "$@"
}

# conns_vs_bpftool NS IFACE: the rows of conns -j and the entries of
# bpftool map dump pinned .../conns, each as "client server state closer",
# sorted; prints the two lists separated by a line "--". Empty when either
# failed.
conns_vs_bpftool() {
	local pin states
	pin=$(pin_dir "$1" "$2")
	if ! states=$(cat "$CONN_STATES_FILE" 2>/dev/null) || [ -z "$states" ]; then
		echo "conns_vs_bpftool: no state names in $CONN_STATES_FILE (make $CONN_STATES_FILE)" >&2
		return 1
	fi
	{
		shakeoff_in "$1" conns "$2" -j
		echo
		bpftool map dump pinned "$pin/conns" -j
	} 2>/dev/null | "$PY" -c '
import ipaddress, json, struct, sys
text = sys.stdin.read().split("\n", 1)
try:
    rows, dump = json.loads(text[0]), json.loads(text[1])
except Exception:
    sys.exit(1)
states = sys.argv[1].split()
closers = [None, "client", "server"]
a = sorted("%s:%d %s:%d %s %s" % (r["saddr"], r["sport"], r["daddr"], r["dport"], r["state"],
                                  r["closed_by"]) for r in rows)
def addr(fam, words):
    raw = b"".join(struct.pack("<I", w & 0xffffffff) for w in words)
    return str(ipaddress.ip_address(raw[:4] if fam == 4 else raw))
def port(p):
    return struct.unpack(">H", struct.pack("<H", p))[0]
b = []
for e in dump:
    k, v = e["formatted"]["key"], e["formatted"]["value"]
    b.append("%s:%d %s:%d %s %s" % (addr(k["family"], k["saddr"]), port(k["sport"]),
                                    addr(k["family"], k["daddr"]), port(k["dport"]),
                                    states[v["state"]], closers[v["closed_by"]]))
print("\n".join(a))
print("--")
print("\n".join(sorted(b)))
' "$states"
}

# --- raw SYN probes (rawtool rawsyn) from the client namespace ----------------------

# raw_setup PORT: probes go to PORT on the pair's server, from the client's
# veth MAC to the server's (CMAC, SMAC).
raw_setup() {
	RAW_DPORT=$1
	CMAC=$(mac_of "$CNS" "$CIF") SMAC=$(mac_of "$SNS" "$SIF")
}

# raw_probe NAME SRC DST SPORT [JSON-FIELDS]: one probe of rawtool rawsyn
# (see rawsyn() there for the fields), as JSON.
raw_probe() {
	printf '{"name": "%s", "src": "%s", "dst": "%s", "sport": %d, "dport": %d, "mac": "%s", "dmac": "%s"%s}' \
		"$1" "$2" "$3" "$4" "$RAW_DPORT" "$CMAC" "$SMAC" "${5:+, $5}"
}

# rawsyn PROBE...: send them on the client's veth; their results (a JSON
# list) in RAWSYN, empty and a FAIL rawsyn.NAME (NAME: the first probe's)
# when rawtool failed.
rawsyn() {
	local IFS=, first
	first=$("$PY" -c 'import json, sys; print(json.loads(sys.argv[1])["name"])' "$1" 2>/dev/null)
	if ! RAWSYN=$(client_ns_exec "$PY" "$RAWTOOL" rawsyn "$CIF" "[$*]" 2>"$TMPD/rawsyn.err"); then
		RAWSYN=
		fail "rawsyn.${first:-probe}" "rawtool rawsyn failed: $(_oneline "$(cat "$TMPD/rawsyn.err")")"
	fi
	vsay "rawsyn: $RAWSYN"
}

# rawsyn_field NAME PATH: one field of the result of the probe NAME in
# RAWSYN (PATH: keys and list indexes joined by dots, as first.opts.MSS);
# lists, objects, booleans and null as JSON, the rest as they are.
rawsyn_field() {
	"$PY" -c '
import json, sys
r = [x for x in json.loads(sys.argv[1] or "[]") if x["name"] == sys.argv[2]]
v = r[0] if r else None
for k in sys.argv[3].split("."):
    v = None if v is None else (v[int(k)] if isinstance(v, list) else v.get(k))
print(json.dumps(v) if isinstance(v, (list, dict, bool)) or v is None else v)' "$RAWSYN" "$1" "$2" 2>&1
}

# --- long connections that keep exchanging data (tcptool stream) -------------------

# stream_start NS HOST PORT: one connection echoing random messages
# without pause; returns once it is established. STREAM_CTL (its control
# directory) and STREAM_PID name it for the functions below.
_STREAMN=0
stream_start() {
	_STREAMN=$((_STREAMN + 1))
	STREAM_CTL=$TMPD/stream.$_STREAMN
	mkdir -p "$STREAM_CTL"
	ns_bg "$1" "$PY" "$TCPTOOL" stream "$2" "$3" "$STREAM_CTL"
	STREAM_PID=$BG_PID
	echo "$BG_LOG" >"$STREAM_CTL/log"
	wait_file "$STREAM_CTL/ready" 10 "$STREAM_PID"
}

# stream_rounds CTL: messages echoed so far (0 before the first count).
stream_rounds() { cat "$1/rounds" 2>/dev/null || echo 0; }

# stream_moving NAME CTL [SECONDS]: the stream echoes more messages within
# SECONDS (default 5): the connection is alive now.
stream_moving() {
	local r0 i
	r0=$(stream_rounds "$2")
	for ((i = 0; i < ${3:-5} * 10; i++)); do
		[ "$(stream_rounds "$2")" -gt "$r0" ] && { ok "$1"; return 0; }
		sleep 0.1
	done
	fail "$1" "no message echoed in ${3:-5} s (still $r0): $(_oneline "$(cat "$(cat "$2/log")")")"
	return 1
}

# stream_stop NAME CTL PID: end the stream; it must exit 0, every message
# having come back intact.
stream_stop() {
	local rc
	touch "$2/stop"
	wait "$3"
	rc=$?
	if [ $rc = 0 ]; then ok "$1"; else fail "$1" "exited $rc: $(_oneline "$(cat "$(cat "$2/log")")")"; fi
}

# --- scripted peers (tcptool.py peer) ------------------------------------------------

# peers SLOT HOST CLIENT-STEPS SERVER-STEPS: a server peer in $SNS on a
# fresh port (NPORT + 1; the test sets NPORT) and a client peer in $CNS
# connecting to it; the control directory is $TMPD/peer.SLOT. Returns once
# the client is connected.
peers() {
	local slot=$1 host=$2 ctl=$TMPD/peer.$1
	NPORT=$((NPORT + 1))
	rm -rf "$ctl" && mkdir -p "$ctl" && echo $NPORT >"$ctl/port"
	ns_bg "$SNS" "$PY" "$TCPTOOL" peer server $NPORT "$ctl" "$4"
	echo "$BG_PID" >"$ctl/server.pid"
	echo "$BG_LOG" >"$ctl/server.log"
	wait_file "$ctl/listening" 10 "$BG_PID" || return 1
	ns_bg "$CNS" "$PY" "$TCPTOOL" peer client "$host" $NPORT "$ctl" "$3"
	echo "$BG_PID" >"$ctl/client.pid"
	echo "$BG_LOG" >"$ctl/client.log"
	wait_file "$ctl/client.port" 10 "$BG_PID"
}
ctl() { echo "$TMPD/peer.$1"; }
sport() { cat "$(ctl "$1")/port"; }
cport() { cat "$(ctl "$1")/client.port"; }
# go SLOT CP: let a peer waiting at checkpoint CP go on.
go() { touch "$(ctl "$1")/$2.go"; }

# --- shakeoff events ----------------------------------------------------------------

# events_start NS IFACE ARGS...: `shakeoff events IFACE ARGS...` in the
# background, its stdout in $EV_OUT, stderr in $EV_ERR, pid $EV_PID; returns
# once it reads (a FAIL line if it does not start).
_EVN=0
events_start() {
	local ns=$1 ifc=$2 i
	shift 2
	_EVN=$((_EVN + 1))
	EV_OUT=$TMPD/events.$_EVN.out EV_ERR=$TMPD/events.$_EVN.err
	vsay "nsenter --net=/run/netns/$ns shakeoff events $ifc $* &"
	nsenter --net="/run/netns/$ns" "$SHAKEOFF" events "$ifc" "$@" >"$EV_OUT" 2>"$EV_ERR" &
	EV_PID=$!
	_PIDS+=("$EV_PID")
	for i in $(seq 100); do
		grep -q "reading the" "$EV_ERR" 2>/dev/null && return 0
		kill -0 "$EV_PID" 2>/dev/null || break
		sleep 0.1
	done
	fail "events$_EVN.start" "shakeoff events $* did not start: $(_oneline "$(cat "$EV_ERR")")"
	return 1
}

# events_stop [PID]: SIGINT to the reader ($EV_PID), and its exit status.
events_stop() {
	kill -INT "${1:-$EV_PID}" 2>/dev/null
	wait "${1:-$EV_PID}"
}

# events_query FILE EXPR: print the Python expression EXPR over the list E
# of the JSON records in FILE (a -j stream).
events_query() {
	"$PY" -c '
import json, sys
E = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
print(eval(sys.argv[2]))' "$1" "$2"
}

# listen_flag NS IFACE: so_config.listen of the attachment, as bpftool reads it.
listen_flag() {
	bpftool map lookup pinned "$(pin_dir "$1" "$2")/config" key 0 0 0 0 -j 2>/dev/null |
		"$PY" -c 'import json,sys; print(json.load(sys.stdin)["formatted"]["value"]["listen"])'
}
