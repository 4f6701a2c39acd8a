# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# The variables set here are used by the scripts that source this file.
# shellcheck disable=SC2034
#
# Host integration tests of the KMIP client against Debian's own KMIP
# server (python3-pykmip, /usr/bin/pykmip-server) on 127.0.0.1. Source it
# from a tests/kmip/t-*.sh script (bash); it sets up:
#
#   KMIP_WORK      a private temporary directory, removed at exit
#   KMIP_PKI       $KMIP_WORK/pki: a throwaway CA and certificates (kmip_pki)
#   KMIP_CONF      $KMIP_WORK/conf: the server definitions (--kmip-config-dir)
#   MKEY           the mkey binary under test (build/mkey; MKEY=... overrides)
#
#   kmip_pki [NAME...]           CA, server cert (127.0.0.1), client cert;
#                                more on request (see there)
#   kmip_free_port               an unused TCP port on 127.0.0.1
#   kmip_server_start NAME [CERT]  a pykmip-server with a fresh database on a
#                                free port (CERT: server cert basename, default
#                                "server")
#   kmip_port NAME               that server's port
#   kmip_server_stop NAME        SIGINT, wait (the clean way: ~2 s)
#   kmip_definition NAME [key=value...] [server=HOST:PORT...]
#                                writes $KMIP_CONF/NAME.conf (client cert
#                                "client" unless cert=/key= say otherwise)
#   mk ARGS...                   runs $MKEY with --kmip-config-dir added
#                                after the command name; output in $KMIP_OUT,
#                                status in $KMIP_RC
#   expect_ok NAME ARGS...       mk, ok when it exits 0
#   expect_fail NAME RC TEXT ARGS...  mk, ok when it exits RC and its output
#                                contains TEXT
#
# Every server (and helper process) started here is stopped when the
# script exits, however it exits.
set -u

kmip_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib/ktap.sh
. "$kmip_top/tests/lib/ktap.sh"

MKEY=${MKEY:-$kmip_top/build/mkey}
KMIP_PY=/usr/bin/python3		# pyenv's python3 has no kmip module
KMIP_SERVER_BIN=/usr/bin/pykmip-server
KMIP_WORK=$(mktemp -d "${TMPDIR:-/tmp}/mkey-kmip.XXXXXX")
KMIP_PKI=$KMIP_WORK/pki
KMIP_CONF=$KMIP_WORK/conf
KMIP_OUT=$KMIP_WORK/out
KMIP_RC=0
mkdir -p "$KMIP_PKI" "$KMIP_CONF" "$KMIP_WORK/srv"
chmod 0700 "$KMIP_WORK" "$KMIP_CONF"

declare -A kmip_pids=()		# name -> pid (each its own process group)
declare -A kmip_ports=()	# name -> port
kmip_helpers=()			# other background processes

kmip_cleanup() {
	local n p
	# SIGINT to every server at once, then wait for them together.
	for n in "${!kmip_pids[@]}"; do
		kill -INT "${kmip_pids[$n]}" 2>/dev/null || true
	done
	for p in "${kmip_helpers[@]}"; do
		kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null || true
	done
	for n in "${!kmip_pids[@]}"; do
		kmip_wait_gone "${kmip_pids[$n]}" 50 ||
			kill -KILL -- "-${kmip_pids[$n]}" 2>/dev/null || true
	done
	for p in "${kmip_helpers[@]}"; do
		kmip_wait_gone "$p" 20 || kill -KILL -- "-$p" 2>/dev/null || true
	done
	rm -rf "$KMIP_WORK"
}
trap kmip_cleanup EXIT
trap 'exit 130' INT TERM

# kmip_wait_gone PID TENTHS: wait until PID has exited.
kmip_wait_gone() {
	local i
	for ((i = 0; i < $2; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

kmip_have_server() {
	[ -x "$KMIP_SERVER_BIN" ] && "$KMIP_PY" -c 'import kmip' 2>/dev/null
}

# ---------------------------------------------------------------- PKI

# kmip_cert NAME CA SUBJECT EXTENSIONS: key + certificate signed by CA.
kmip_cert() {
	local name=$1 ca=$2 subj=$3 ext=$4 d=$KMIP_PKI
	openssl req -new -newkey rsa:2048 -nodes -keyout "$d/$name.key" \
		-out "$d/$name.csr" -subj "$subj" 2>/dev/null || return 1
	printf '%b' "$ext" >"$d/$name.ext"
	openssl x509 -req -in "$d/$name.csr" -CA "$d/$ca.crt" -CAkey "$d/$ca.key" \
		-CAcreateserial -days 2 -sha256 -extfile "$d/$name.ext" \
		-out "$d/$name.crt" 2>/dev/null || return 1
	chmod 0600 "$d/$name.key"
}

kmip_ca() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -sha256 \
		-keyout "$KMIP_PKI/$1.key" -out "$KMIP_PKI/$1.crt" -subj "/CN=$2" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

# kmip_pki [NAME...]: the CA and the named certificates (default: server
# and client): server (127.0.0.1; also 10.0.2.2 and 10.0.2.100, where a
# QEMU guest with user networking reaches the host, for VM tests), client
# (clientAuth), noeku (no EKU),
# otherclient (client cert from another CA), untrusted (server cert from
# another CA), wronghost (server cert for kms.example.com only).
kmip_pki() {
	local srv='basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n'
	local cli='basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n'
	local n
	[ $# -gt 0 ] || set -- server client
	kmip_ca ca "mkey test CA" || return 1
	for n in "$@"; do
		case "$n" in
		otherclient | untrusted)
			[ -e "$KMIP_PKI/otherca.crt" ] || kmip_ca otherca "some other CA" || return 1 ;;
		esac
		case "$n" in
		server) kmip_cert server ca /CN=127.0.0.1 \
			"${srv}extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.0.2.2,IP:10.0.2.100\n" ;;
		client) kmip_cert client ca /CN=kmip-agent "${cli}extendedKeyUsage=clientAuth\n" ;;
		noeku) kmip_cert noeku ca /CN=kmip-agent "$cli" ;;
		otherclient) kmip_cert otherclient otherca /CN=kmip-agent \
			"${cli}extendedKeyUsage=clientAuth\n" ;;
		untrusted) kmip_cert untrusted otherca /CN=127.0.0.1 \
			"${srv}extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n" ;;
		wronghost) kmip_cert wronghost ca /CN=kms.example.com \
			"${srv}extendedKeyUsage=serverAuth\nsubjectAltName=DNS:kms.example.com\n" ;;
		*) echo "kmip_pki: unknown certificate $n" >&2; return 1 ;;
		esac || return 1
	done
}

# ---------------------------------------------------------------- servers

kmip_free_port() {
	"$KMIP_PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# kmip_wait_port PORT TENTHS: until something accepts on 127.0.0.1:PORT.
kmip_wait_port() {
	local i
	for ((i = 0; i < $2; i++)); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# kmip_server_start NAME [CERT]
kmip_server_start() {
	local name=$1 cert=${2:-server} port d=$KMIP_WORK/srv/$1 pid
	port=$(kmip_free_port) || return 1
	mkdir -p "$d/policies"
	cat >"$d/server.conf" <<-EOF
	[server]
	hostname=127.0.0.1
	port=$port
	certificate_path=$KMIP_PKI/$cert.crt
	key_path=$KMIP_PKI/$cert.key
	ca_path=$KMIP_PKI/ca.crt
	auth_suite=TLS1.2
	policy_path=$d/policies
	enable_tls_client_auth=True
	tls_cipher_suites=
	    TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384
	    TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256
	    TLS_RSA_WITH_AES_256_CBC_SHA256
	logging_level=DEBUG
	database_path=$d/pykmip.db
	EOF
	# Its own process group (setsid), so that cleanup reaches its helpers.
	(cd "$d" && exec setsid "$KMIP_SERVER_BIN" -f "$d/server.conf" -l "$d/server.log" \
		>"$d/stdout.log" 2>&1) &
	pid=$!
	kmip_pids[$name]=$pid
	kmip_ports[$name]=$port
	if ! kmip_wait_port "$port" 100; then
		diag "pykmip-server $name did not start on port $port:"
		diag_file "$d/server.log" 20
		diag_file "$d/stdout.log" 20
		return 1
	fi
}

kmip_port() {
	printf '%s\n' "${kmip_ports[$1]}"
}

kmip_server_stop() {
	local pid=${kmip_pids[$1]:-}
	[ -n "$pid" ] || return 0
	kill -INT "$pid" 2>/dev/null || true
	kmip_wait_gone "$pid" 100 || kill -KILL -- "-$pid" 2>/dev/null || true
	unset "kmip_pids[$1]"
}

kmip_server_log() {
	diag_file "$KMIP_WORK/srv/$1/server.log" "${2:-20}"
}

# kmip_helper CMD...: a background helper (own process group), stopped at exit.
kmip_helper() {
	setsid "$@" >/dev/null 2>&1 &
	kmip_helpers+=("$!")
}

# ---------------------------------------------------------------- mkey

# kmip_definition NAME [setting=value | server=HOST:PORT]...
kmip_definition() {
	local name=$1 f=$KMIP_CONF/$1.conf cert=client arg
	shift
	for arg in "$@"; do
		case "$arg" in certname=*) cert=${arg#certname=} ;; esac
	done
	{
		echo "# test definition $name"
		for arg in "$@"; do
			case "$arg" in certname=*) ;; *) echo "${arg%%=*} = ${arg#*=}" ;; esac
		done
		echo "ca = $KMIP_PKI/ca.crt"
		echo "cert = $KMIP_PKI/$cert.crt"
		echo "key = $KMIP_PKI/$cert.key"
	} >"$f"
	chmod 0600 "$f"
}

# mk CMD ARGS...: $MKEY CMD --kmip-config-dir $KMIP_CONF ARGS...
mk() {
	local cmd=$1
	shift
	KMIP_RC=0
	# No controlling terminal: a confirmation question must fail, not wait.
	setsid -w "$MKEY" "$cmd" --kmip-config-dir "$KMIP_CONF" "$@" </dev/null \
		>"$KMIP_OUT" 2>&1 || KMIP_RC=$?
	return "$KMIP_RC"
}

kmip_show_out() {
	diag "\$ mkey $*"
	diag_file "$KMIP_OUT" 30
}

expect_ok() {
	local name=$1
	shift
	if mk "$@"; then
		ok "$name"
	else
		kmip_show_out "$@"
		fail "$name" "exit status $KMIP_RC"
	fi
}

# expect_fail NAME RC TEXT CMD ARGS...
expect_fail() {
	local name=$1 rc=$2 text=$3
	shift 3
	mk "$@"
	if [ "$KMIP_RC" = "$rc" ] && grep -qF -- "$text" "$KMIP_OUT"; then
		ok "$name"
	else
		kmip_show_out "$@"
		fail "$name" "exit status $KMIP_RC (expected $rc) or output without '$text'"
	fi
}

# expect_out NAME TEXT: the last command's output contains TEXT.
expect_out() {
	if grep -qF -- "$2" "$KMIP_OUT"; then
		ok "$1"
	else
		diag_file "$KMIP_OUT" 30
		fail "$1" "output without '$2'"
	fi
}

# kmip_skip_unless_ready: skip the whole test without the server or mkey.
kmip_skip_unless_ready() {
	kmip_have_server || ktap_skip_all "no PyKMIP server (apt-get install python3-pykmip)"
	[ -x "$MKEY" ] || ktap_skip_all "$MKEY is not built"
	"$MKEY" help kmip-create >/dev/null 2>&1 ||
		ktap_skip_all "$MKEY has no KMIP commands"
}
