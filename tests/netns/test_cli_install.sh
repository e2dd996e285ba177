#!/usr/bin/env bash
# test_cli_install.sh - what an operator installs and runs as a service:
#   make install   into a DESTDIR: binary, man page, completion, units
#   the manual     renders with man -l; man/shakeoff.8 and the README's CLI
#                  section are what the CLI generates (make docs); help
#                  covers every command
#   option files   attach --config FILE through the option table: comments,
#                  the three spellings, the command line wins, errors name
#                  FILE:LINE in one sentence
#   the unit       its ExecStart, ExecReload and ExecStop, run by hand in a
#                  namespace, attach, change live and detach
#   completion     the installed script completes commands and values
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd make man ethtool
require_shakeoff

P=9000
DEST=$TMPD/root
ETC=$TMPD/etc

# --- make install ---------------------------------------------------------------------

if make -C "$TOP" O="$O" install DESTDIR="$DEST" PREFIX=/usr SYSCONFDIR="$ETC" >"$TMPD/make.log" 2>&1; then
	ok install.make
else
	bail install.make "make install failed: $(_oneline "$(tail -5 "$TMPD/make.log")")"
fi
for f in sbin/shakeoff share/man/man8/shakeoff.8 share/bash-completion/completions/shakeoff \
	lib/systemd/system/shakeoff@.service lib/systemd/system/shakeoff-exporter.service \
	share/shakeoff/grafana-dashboard.json; do
	[ -s "$DEST/usr/$f" ] && ok "install.has_$(basename "$f")" || fail "install.has_$(basename "$f")" "missing $DEST/usr/$f"
done
check_eq install.binary_mode 755 "$(stat -c %a "$DEST/usr/sbin/shakeoff")"
check_eq install.unit_mode 644 "$(stat -c %a "$DEST/usr/lib/systemd/system/shakeoff@.service")"
check_run install.binary_runs "$DEST/usr/sbin/shakeoff" --version

# --- the manual ---------------------------------------------------------------------------

page=$(MANWIDTH=100 man -l "$DEST/usr/share/man/man8/shakeoff.8" 2>"$TMPD/man.err")
check_eq install.man_renders 0 "$?"
check_grep install.man_title "^SHAKEOFF\(8\)" "$page"
check_eq docs.man_is_generated "$("$SHAKEOFF" --help-man)" "$(cat "$TOP/man/shakeoff.8")"
section=$(sed -n '/^<!-- BEGIN shakeoff --help-markdown/,/^<!-- END shakeoff --help-markdown/p' "$TOP/README.md" | sed '1d;$d')
check_eq docs.readme_is_generated "$("$SHAKEOFF" --help-markdown)" "$section"
cmds=$("$SHAKEOFF" help | sed -n '/^Commands:/,/^$/s/^  \([a-z]\+\) .*/\1/p')
check_eq help.lists_commands "attach detach set status stats conns top events allow deny exporter rekey help" "$(echo $cmds)"
bad=
for c in $cmds; do
	"$SHAKEOFF" help "$c" 2>/dev/null | grep -q "^Usage: shakeoff $c" || bad+="help:$c "
	grep -q "^   shakeoff $c" <<<"$page" || bad+="man:$c "
	grep -q "^#### $c\$" <<<"$section" || bad+="readme:$c "
done
check_eq help.every_command_explained "" "$bad"

# --- option files -------------------------------------------------------------------------------

setup_pair cli "soclic${RUNID: -4}" "soclis${RUNID: -4}" ||
	bail setup "could not build the namespaces and the veth pair"
start_tcptool "$SNS" $P || bail server "tcptool did not listen on port $P"
xfer() { client_ns_exec timeout 5 "$PY" "$TCPTOOL" xfer "$1" "$2" 1000 >/dev/null 2>&1; }
mkdir -p "$ETC/shakeoff"
CONF=$ETC/shakeoff/$SIF.conf

printf '%s\n' "ports 9000,9001" "mss4 9" >"$TMPD/bad.conf"
shakeoff_in "$SNS" attach "$SIF" --config "$TMPD/bad.conf" >/dev/null 2>"$TMPD/err"
check_refused config.bad_value $? "$TMPD/err" "$SNS" "$SIF"
check_grep config.bad_value_says_where "^shakeoff: $TMPD/bad.conf:2: invalid --mss4 '9'" "$(cat "$TMPD/err")"
printf '%s\n' "# nothing" "" "portz 80" >"$TMPD/bad.conf"
shakeoff_in "$SNS" attach "$SIF" --config "$TMPD/bad.conf" >/dev/null 2>"$TMPD/err"
check_refused config.unknown_option $? "$TMPD/err" "$SNS" "$SIF"
check_grep config.unknown_option_says_where "bad.conf:3: unknown option 'portz'" "$(cat "$TMPD/err")"
shakeoff_in "$SNS" attach "$SIF" --config "$TMPD/missing.conf" >/dev/null 2>"$TMPD/err"
check_refused config.missing_file $? "$TMPD/err" "$SNS" "$SIF"

# --- the unit, by hand ---------------------------------------------------------------------------

UNIT=$DEST/usr/lib/systemd/system/shakeoff@.service
check_grep unit.oneshot "^Type=oneshot$" "$(cat "$UNIT")"
check_grep unit.remain "^RemainAfterExit=yes$" "$(cat "$UNIT")"
check_grep unit.config_path "^ExecStart=/usr/sbin/shakeoff attach %I --config $ETC/shakeoff/%I.conf$" "$(cat "$UNIT")"
# unit_cmd KEY: the unit's command line for the instance $SIF, with the
# binary taken from DESTDIR (systemd would run /usr/sbin/shakeoff).
unit_cmd() { sed -n "s/^$1=//p" "$UNIT" | sed -e "s/%[Ii]/$SIF/g" -e "s|^/usr/sbin/|$DEST/usr/sbin/|"; }
# run_unit NAME KEY: run it in the server namespace, as systemd would: each
# KEY= line in turn, stopping at the first that fails.
run_unit() {
	local cmd n=0 rc=0
	while read -r cmd; do
		n=$((n + 1))
		# shellcheck disable=SC2086
		nsenter --net="/run/netns/$SNS" $cmd >"$TMPD/unit.out" 2>&1 || { rc=$?; break; }
	done < <(unit_cmd "$2")
	if [ $n = 0 ]; then
		fail "$1" "no $2= in the unit"
	elif [ $rc = 0 ]; then
		ok "$1"
	else
		fail "$1" "line $n exited $rc: $(_oneline "$(cat "$TMPD/unit.out")")"
	fi
	return $rc
}

KEY1=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
KEY2=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
printf '%s\n' "$KEY1" >"$TMPD/keys.1"
printf '# new key first\n%s\n%s\n' "$KEY2" "$KEY1" >"$TMPD/keys.2"
cat >"$CONF" <<EOF
# the options of shakeoff attach $SIF, one per line
ports 9000
secret-file $TMPD/keys.1
arm=monitor      # three spellings of an option
--time-wait 7
EOF
_ATTACHED+=("$SNS $SIF")
run_unit unit.exec_start ExecStart
check_eq unit.started_ports 9000 "$(so_status "$SNS" "$SIF" ports)"
check_eq unit.started_arm monitor "$(so_status "$SNS" "$SIF" arm)"
check_eq unit.started_time_wait 7 "$(so_status "$SNS" "$SIF" time_wait_s)"
xfer "$S4" $P && ok unit.connects || fail unit.connects "no connection while attached by the unit"

fp1=$(so_status "$SNS" "$SIF" keys.0.fingerprint)
check_grep unit.started_key '^[0-9a-f]{8}$' "$fp1"
cat >"$CONF" <<EOF
ports 9000,9001
arm always
secret-file=$TMPD/keys.2 # the fleet's rotation, step 2: reload
conn-max 99     # fixed at attach: set ignores it
EOF
run_unit unit.exec_reload ExecReload
check_eq unit.reloaded_ports 9000-9001 "$(so_status "$SNS" "$SIF" ports)"
check_eq unit.reloaded_arm always "$(so_status "$SNS" "$SIF" arm)"
check_eq unit.reload_kept_conn_max 65536 "$(so_status "$SNS" "$SIF" conn_max)"
check_eq unit.reload_rekeyed_old_key_second "$fp1 validating" \
	"$(so_status "$SNS" "$SIF" keys.1.fingerprint) $(so_status "$SNS" "$SIF" keys.1.role)"
check_grep unit.reload_rekeyed_new_key_first '^[0-9a-f]{8}$' "$(so_status "$SNS" "$SIF" keys.0.fingerprint)"
synack0=$(so_stat "$SNS" "$SIF" synack_sent)
xfer "$S4" $P && ok unit.connects_after_reload || fail unit.connects_after_reload "no connection"
check_num unit.answered_after_reload -gt "$synack0" "$(so_stat "$SNS" "$SIF" synack_sent)"
run_unit unit.exec_stop ExecStop
check_clean unit.stopped "$SNS" "$SIF"

# The command line wins over the file.
so_attach "$SNS" "$SIF" --config "$CONF" --ports 9001 || fail config.cmdline_attach "$(cat "$TMPD/attach.err")"
check_eq config.cmdline_wins 9001 "$(so_status "$SNS" "$SIF" ports)"
check_eq config.file_fills_the_rest 99 "$(so_status "$SNS" "$SIF" conn_max)"
check_run config.detach shakeoff_in "$SNS" detach "$SIF"

# --- completion -------------------------------------------------------------------------------------

comp() {
	PATH=$DEST/usr/sbin:$PATH bash -c '
. "$1"; shift
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _shakeoff; echo "${COMPREPLY[*]}"' _ \
		"$DEST/usr/share/bash-completion/completions/shakeoff" "$@" 2>&1
}
check_eq completion.commands "stats status" "$(comp shakeoff sta | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"
check_eq completion.option "--arm" "$(comp shakeoff attach --ar)"
check_eq completion.enum "always monitor auto" "$(comp shakeoff set eth0 --arm '')"
check_eq completion.state "fin_wait_1 fin_wait_2" "$(comp shakeoff conns eth0 --state fin)"
check_eq completion.action "add del list" "$(comp shakeoff deny eth0 '')"

finish
