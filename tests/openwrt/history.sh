#!/bin/sh
# Failures logged while logjail was not reading (issue 12): logread -f prints only new lines,
# so what logd received before the daemon started, during procd's respawn pause or across a
# restart would never be counted. The daemon runs `logread -l 1000 -f` and judges the replayed
# lines against the mark in its state file (src/engine/history.rs): what is newer counts, what
# the previous run judged is recounted without banning, nothing counts twice.
. /usr/share/owrt-test/lib.sh
boot
check "opkg install" install_pkg
check "the service is ready" ready
P=$(lj_pid)

step "3 failures while running, stop, 2 failures, start (maxretry 5)"
fail_login 203.0.113.50 3
sleep 1
check_not "3 failures: not banned yet" in_set 203.0.113.50
/etc/init.d/logjail stop
wait_until 30 sh -c '! pidof logjail >/dev/null'
fail_login 203.0.113.50 2
/etc/init.d/logjail start
check "the daemon is back" ready "$P"
check "3 + 2 failures ban 203.0.113.50" wait_until 30 in_set 203.0.113.50

step "no double counting: 4 failures, restart, nothing new -> not banned"
fail_login 203.0.113.51 4
sleep 1
P=$(lj_pid)
/etc/init.d/logjail restart
check "the daemon is back" ready "$P"
sleep 1
check_not "the 4 failures were not counted twice" in_set 203.0.113.51

step "failures during procd's respawn pause count"
P=$(lj_pid)
kill -9 "$P"
fail_login 203.0.113.52 5
check "respawned" wait_until 90 new_daemon "$P"
check "5 failures logged while it was dead ban 203.0.113.52" wait_until 30 in_set 203.0.113.52
summary
