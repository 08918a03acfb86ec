#!/usr/bin/env bash
# Scripted test of the chat example (examples/chat/, package sealwire-chat):
# two chat processes on loopback, each with its own SQLite file, fed through
# FIFOs (stdin is not a terminal).
#
#     bash sqlite/scripts/chat_smoke.sh            # from the repository root
#
# 0. mistakes on the command line (a bad address, a missing database file, a
#    bad --device) are explained with the usage, and create no database
#    file; a database file that is not one is named in a sentence;
# 1. messages both ways; the connector starts the session; `/timer abc` and
#    an unknown command are answered with the usage and the commands; frames
#    too large, of an unknown type, malformed or cut short are reported,
#    and the chat goes on;
# 2. the connector is SIGKILLed, a message is sent meanwhile, the connector
#    restarts: its history is printed, the message is retransmitted;
# 3. the listener is SIGKILLed, the same the other way;
# 4. `/timer 5`: two messages disappear from both databases after 5 s;
# 5. a burst of 30 messages with the receiver SIGKILLed in the middle: all
#    30 stored exactly once after the restart;
# 6. `/timer read 3`: a message disappears 3 s after it was shown;
# 7. the listener loses its session (identity kept): it starts the new one;
# 8. the listener reinstalls (new identity): the connector warns and starts
#    a new session;
# 9. a `printf` pipeline whose input ends early;
# 10. a third process, alice's second device (`--name alice --device 2`),
#     connects to the listener (alice's first device, which relays for
#     it): a message from alice.1 shows on bob and on alice.2 (as sent
#     from alice's other device), one from bob on both of alice's devices,
#     one from alice.2 on bob and alice.1;
# 11. alice.2 is killed, bob and alice.1 each send a message meanwhile, and
#     alice.2 loses every row of its database but its identity (the same
#     identity key, as after restoring only the key from a backup): back,
#     it starts new sessions, cannot read the copies queued for it in the
#     old ones, asks bob and alice.1 with recovery requests, and both
#     re-send on the new sessions, with no user action; later messages
#     show on all three;
# 12. alice.2 is reinstalled (database deleted: a new identity key): bob and
#     alice.1 warn and start new sessions; later messages show on all
#     three;
# 13. a group conversation: carol connects; alice creates `#friends` with
#     bob and carol (`/group create`); everyone joins from the invitation
#     (alice.2 too); each of the four devices posts (`/g`, `/group say`)
#     and every post is stored exactly once on every device and shown with
#     its sender and the group's name; bob is SIGKILLed, a post made
#     meanwhile waits at the relay, and back he shows `/group history`
#     from his database and posts on; the relay is killed while bob posts:
#     the post stays in his group outbox and goes out when he reconnects;
#     alice removes carol (`/group remove`): bob and alice.2 follow, carol
#     stores none of the later posts, and her own post is refused by all.
#
# Needs python3 (its sqlite3 module reads the databases). Takes ~2.5
# minutes.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cargo build --quiet --manifest-path "$root/Cargo.toml" -p sealwire-chat
bin="${CARGO_TARGET_DIR:-$root/target}/debug/chat"
port="${CHAT_PORT:-47891}"
addr="127.0.0.1:$port"
work="$(mktemp -d)"
# CHAT_SMOKE_LOGS=DIR keeps the four logs there.
trap 'kill $(jobs -p) 2>/dev/null || true
      [[ -n "${CHAT_SMOKE_LOGS:-}" ]] && cp "$work"/*.log "$CHAT_SMOKE_LOGS"/ 2>/dev/null
      rm -rf "$work"' EXIT
cd "$work"
mkfifo a.in b.in c.in d.in
touch c.log d.log

start_a() { "$bin" listen "$addr" alice.db <a.in >>a.log 2>&1 & pid_a=$!; exec 3>a.in; }
start_b() { "$bin" connect "$addr" bob.db <b.in >>b.log 2>&1 & pid_b=$!; exec 4>b.in; }
start_c() {
    "$bin" connect "$addr" alice2.db --name alice --device 2 <c.in >>c.log 2>&1 &
    pid_c=$!
    exec 5>c.in
}
start_d() {
    "$bin" connect "$addr" carol.db --name carol <d.in >>d.log 2>&1 &
    pid_d=$!
    exec 6>d.in
}
kill_a() { kill -9 "$pid_a"; wait "$pid_a" 2>/dev/null || true; exec 3>&-; }
kill_b() { kill -9 "$pid_b"; wait "$pid_b" 2>/dev/null || true; exec 4>&-; }
kill_c() { kill -9 "$pid_c"; wait "$pid_c" 2>/dev/null || true; exec 5>&-; }
say_a() { echo "$1" >&3; }
say_b() { echo "$1" >&4; }
say_c() { echo "$1" >&5; }
say_d() { echo "$1" >&6; }
fail() {
    echo "FAILED: $*"
    echo "--- alice"; cat a.log; echo "--- bob"; cat b.log; echo "--- alice.2"; cat c.log
    echo "--- carol"; cat d.log
    exit 1
}
# user messages of a database: "in:text" / "out:text", one per line
rows() {
    python3 -c "
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for d, b in c.execute(\"select direction, body from messages where content_type = 1 order by id\"):
    print(d + ':' + b.decode())" "$1"
}
has_row() { rows "$1" >rows.txt; grep -qxF "$2" rows.txt || fail "$1 lacks $2"; }
lacks_row() { rows "$1" >rows.txt; ! grep -qxF "$2" rows.txt || fail "$1 still has $2"; }
# group posts of a database (the chat opens it unsealed: the sealed value
# is the sender's 32-byte key, then the body): "in:text" / "out:text"
grows() {
    python3 -c "
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for d, b in c.execute(\"select direction, body from group_messages where content_type = 1 order by id\"):
    print(d + ':' + b[32:].decode())" "$1"
}
has_grow() { grows "$1" >grows.txt; grep -qxF "$2" grows.txt || fail "$1 lacks the post $2"; }
lacks_grow() { grows "$1" >grows.txt; ! grep -qxF "$2" grows.txt || fail "$1 has the post $2"; }

# expect_refused EXIT WANT ARGS...: the chat exits with EXIT, printing a
# line that starts with WANT (a fixed string) on stderr.
expect_refused() {
    local want_rc="$1" want="$2" rc=0
    shift 2
    "$bin" "$@" </dev/null >refused.out 2>refused.err || rc=$?
    [[ "$rc" == "$want_rc" ]] || fail "chat $*: exit $rc, not $want_rc"
    awk -v want="$want" 'index($0, want) == 1 { found = 1 } END { exit !found }' refused.err || {
        cat refused.err
        fail "chat $*: no line starting with '$want'"
    }
}

echo "== 0. mistakes on the command line"
expect_refused 2 'chat: bad address "127.0.0.1:notaport": the port must be a number from 0 to 65535, not "notaport"' \
    listen 127.0.0.1:notaport typo.db
grep -q '^usage: chat listen' refused.err || fail "no usage after a bad address"
expect_refused 2 'chat: bad address "127.0.0.1:notaport": the port must be a number from 1 to 65535, not "notaport"' \
    connect 127.0.0.1:notaport typo.db
expect_refused 2 'chat: missing the database file (DB, such as alice.db)' listen "$addr"
expect_refused 2 'chat: --device takes a device number from 0 to 4294967295, not "two"' \
    connect "$addr" typo.db --device two
expect_refused 1 'chat: cannot connect to no-such-host.invalid:7878: ' \
    connect no-such-host.invalid:7878 typo.db
[[ ! -e typo.db ]] || fail "a refused command line created typo.db"
echo "not a database" >garbage.db
expect_refused 1 'chat: cannot open the database garbage.db: not an SQLite database: file is not a database' \
    listen "$addr" garbage.db
[[ "$(cat garbage.db)" == "not a database" ]] || fail "garbage.db was changed"

echo "== 1. both ways"
start_a
start_b
sleep 3
say_a "hello from alice"; sleep 1
say_b "hello from bob"; sleep 1
has_row bob.db "in:hello from alice"
has_row alice.db "in:hello from bob"
grep -q "started a new session with alice" b.log || fail "the connector did not initiate"
say_b "/timer abc"
say_b "/timer 0"
say_b "/tmier 5"
sleep 1
grep -qxF "* usage: /timer <seconds> | /timer read <seconds> | /timer off | /timer" b.log ||
    fail "/timer abc: no usage"
grep -qF "* a timer lasts 1 to 31536000 seconds (365 days), not 0 (usage: /timer" b.log ||
    fail "/timer 0: no range"
grep -qxF "* unknown command /tmier; the commands are /timer, /history, /group, /g, /help, /quit" b.log ||
    fail "/tmier: no list of the commands"
# Bad frames from a stranger: over the limit (skipped), of an unknown type,
# a hello without an address, and one cut short by the end of the
# connection. Each is reported; the chat goes on.
python3 -c "
import socket, struct, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
s.sendall(struct.pack('>BI', 3, 2000000) + bytes(2000000))
s.sendall(struct.pack('>BI', 9, 3) + b'abc')
s.sendall(struct.pack('>BI', 1, 2) + b'\xff\x00')
s.sendall(struct.pack('>BI', 3, 100) + b'short')
# End our side, and read the listener's hello until it closes: closing with
# unread data would reset the connection, and could discard our frames.
s.shutdown(socket.SHUT_WR)
s.settimeout(5)
while s.recv(65536):
    pass
s.close()" "$port"
sleep 1
for want in "2000000 bytes, over the [0-9]*-byte limit" "unknown frame type 9" \
    "a hello frame without a valid device address" \
    "the connection ended 10 bytes into a 105-byte frame"; do
    grep -q "^\* dropped a frame from 127\.0\.0\.1:[0-9]*: $want\$" a.log ||
        fail "the listener did not report: $want"
done
say_a "after the bad frames"; sleep 1
has_row bob.db "in:after the bad frames"

echo "== 2. connector killed and restarted"
kill_b
sleep 1
say_a "sent while bob is down"; sleep 1
start_b
sleep 3
grep -q "hello from bob" <(sed -n '/last [0-9]* message/,$p' b.log) || fail "no history on restart"
has_row bob.db "in:sent while bob is down"

echo "== 3. listener killed and restarted"
kill_a
sleep 0.5
say_b "sent while alice is down"; sleep 1
start_a
sleep 3
has_row alice.db "in:sent while alice is down"

echo "== 4. after-send timer"
say_b "/timer 5"; sleep 1
say_a "this one disappears"; sleep 1
say_b "so does this"; sleep 1
for db in alice.db bob.db; do
    rows "$db" >rows.txt
    grep -q "this one disappears" rows.txt || fail "$db: no timed message"
done
sleep 6
for db in alice.db bob.db; do
    lacks_row "$db" "in:this one disappears"
    lacks_row "$db" "out:this one disappears"
    lacks_row "$db" "in:so does this"
    lacks_row "$db" "out:so does this"
done
has_row alice.db "in:sent while alice is down"
grep -q "disappeared" a.log || fail "alice's UI did not say so"
grep -q "disappeared" b.log || fail "bob's UI did not say so"
say_a "/timer off"; sleep 1

echo "== 5. burst with the receiver killed in the middle"
for i in $(seq 1 30); do say_a "burst $i"; sleep 0.02; done &
burst=$!
sleep 0.3
kill_b
wait "$burst"
sleep 0.5
start_b
sleep 4
rows bob.db >rows.txt
n="$(grep -c '^in:burst ' rows.txt || true)"
d="$(grep '^in:burst ' rows.txt | sort -u | wc -l)"
[[ "$n" == 30 && "$d" == 30 ]] || fail "burst: $n rows, $d distinct (want 30, 30)"

echo "== 6. after-read timer"
say_a "/timer read 3"; sleep 1
say_a "read me and I vanish"; sleep 1
has_row bob.db "in:read me and I vanish"
sleep 4
lacks_row bob.db "in:read me and I vanish"
say_a "/timer off"; sleep 1

echo "== 7. the listener loses its session: it starts the new one"
say_a "/quit"; sleep 1; exec 3>&-
python3 -c "import sqlite3; c = sqlite3.connect('alice.db'); c.execute('delete from sessions'); c.commit()"
start_a
sleep 4
grep -q "started a new session with bob" a.log || fail "the listener did not initiate"
say_a "new session from the listener"; sleep 1
say_b "received it"; sleep 1
has_row bob.db "in:new session from the listener"
has_row alice.db "in:received it"

echo "== 8. the listener reinstalls"
say_a "/quit"; sleep 1; exec 3>&-
mv alice.db alice-old.db; rm -f alice.db-wal alice.db-shm
start_a
sleep 4
grep -q "identity key changed" b.log || fail "no identity change warning"
say_a "hello from the new install"; sleep 1
say_b "welcome back"; sleep 1
has_row bob.db "in:hello from the new install"
has_row alice.db "in:welcome back"
say_a "/quit"; say_b "/quit"
sleep 1
wait "$pid_a" "$pid_b"

echo "== 9. a printf pipeline"
(sleep 2; printf 'piped hello\n'; sleep 3) | "$bin" connect "$addr" p2.db >p2.log 2>&1 &
p2=$!
(sleep 3; printf 'piped reply\n'; sleep 2; printf '/quit\n') | "$bin" listen "$addr" p1.db >p1.log 2>&1
kill "$p2" 2>/dev/null || true
wait "$p2" 2>/dev/null || true
has_row p1.db "in:piped hello"
has_row p2.db "in:piped reply"

echo "== 10. alice's second device"
start_a
start_b
start_c
sleep 4
grep -q "new device: alice.2" b.log || fail "bob did not learn alice's second device"
say_a "from alice one"; sleep 1
has_row bob.db "in:from alice one"
has_row alice2.db "in:from alice one"
grep -q "you (on device 1): from alice one" c.log || fail "alice.2 did not show it as hers"
say_b "from bob to both"; sleep 1
has_row alice.db "in:from bob to both"
has_row alice2.db "in:from bob to both"
say_c "from alice two"; sleep 1
has_row bob.db "in:from alice two"
has_row alice.db "in:from alice two"

echo "== 11. alice.2 loses its state but not its identity: the others re-send"
kill_c
say_b "while alice two is away"; sleep 0.5
say_a "alice one while two is away"; sleep 1
has_row bob.db "in:alice one while two is away"
has_row alice.db "in:while alice two is away"
python3 -c "
import sqlite3
c = sqlite3.connect('alice2.db')
tables = [r[0] for r in c.execute(\"select name from sqlite_master where type = 'table'\")]
for t in tables:
    if t not in ('local_identity', 'meta'):
        c.execute('delete from ' + t)
c.commit()"
lacks_row alice2.db "in:from alice one"
start_c
sleep 5
has_row alice2.db "in:while alice two is away"
has_row alice2.db "in:alice one while two is away"
grep -q "asked it to send again" c.log || fail "alice.2 sent no recovery request"
grep -q "re-sent 1 message(s) to alice.2" b.log || fail "bob did not re-send"
grep -q "re-sent 1 message(s) to alice.2" a.log || fail "alice.1 did not re-send"
say_c "alice two is back"; sleep 1
say_b "bob after the heal"; sleep 1
say_a "alice one after the heal"; sleep 1
has_row bob.db "in:alice two is back"
has_row alice.db "in:alice two is back"
has_row alice.db "in:bob after the heal"
has_row alice2.db "in:bob after the heal"
has_row bob.db "in:alice one after the heal"
has_row alice2.db "in:alice one after the heal"

echo "== 12. alice.2 is reinstalled with a new identity"
say_c "/quit"; sleep 1; exec 5>&-
rm -f alice2.db alice2.db-wal alice2.db-shm
start_c
sleep 4
grep -q "alice.2's identity key changed" b.log || fail "bob did not warn"
grep -q "alice.2's identity key changed" a.log || fail "alice.1 did not warn"
say_c "new alice two"; sleep 1
say_b "bob to the new alice two"; sleep 1
has_row bob.db "in:new alice two"
has_row alice.db "in:new alice two"
has_row alice2.db "in:bob to the new alice two"
has_row alice.db "in:bob to the new alice two"
say_a "/quit"; say_b "/quit"; say_c "/quit"
sleep 1
wait "$pid_a" "$pid_b" "$pid_c"

echo "== 13. a group conversation: alice (two devices), bob and carol"
start_a
start_b
start_c
start_d
sleep 5
grep -q "carol.1 is here" b.log || fail "bob did not meet carol"
say_a "/group create friends bob carol"; sleep 3
grep -q "group #friends created with alice, bob, carol" a.log || fail "alice did not create #friends"
for log in b.log c.log d.log; do
    grep -q "alice.1 added you to #friends (alice, bob, carol)" "$log" || fail "$log: not in #friends"
done
say_a "/g hello group from alice"; sleep 1
say_b "/g hello from bob"; sleep 1
say_d "/group say hello from carol"; sleep 1
say_c "/g hello from alice two"; sleep 1
for db in alice.db bob.db alice2.db carol.db; do
    for text in "hello group from alice" "hello from bob" "hello from carol" "hello from alice two"; do
        grows "$db" >grows.txt
        grep -qE "^(in|out):$text\$" grows.txt || fail "$db lacks the post '$text'"
    done
done
has_grow bob.db "in:hello group from alice"
has_grow bob.db "out:hello from bob"
grep -q "#friends carol: hello from carol" b.log || fail "bob did not show carol's post"
grep -q "#friends you (other device): hello group from alice" c.log ||
    fail "alice.2 did not show alice.1's post as hers"
# Each post stored once everywhere.
for db in alice.db bob.db alice2.db carol.db; do
    grows "$db" >grows.txt
    [[ "$(wc -l <grows.txt)" == 4 && "$(sort -u grows.txt | wc -l)" == 4 ]] ||
        fail "$db: $(wc -l <grows.txt) group rows, want 4 distinct"
done
# Bob is killed; a post while he is away waits at the relay; back, he
# shows the group's history from his database and goes on.
kill_b
say_a "/g while bob is away"; sleep 1
start_b
sleep 4
say_b "/group history"; sleep 1
grep -q "last [0-9]* message(s) of #friends" b.log || fail "no group history after the restart"
grep -q "#friends you: hello from bob" b.log || fail "bob's history lacks his own post"
has_grow bob.db "in:while bob is away"
say_b "/g bob is back"; sleep 1
has_grow alice.db "in:bob is back"
has_grow carol.db "in:bob is back"
# The relay is down while bob posts: the post stays queued, and goes out
# when bob reconnects.
kill_a
say_b "/g while the relay is down"; sleep 1
start_a
sleep 5
has_grow alice.db "in:while the relay is down"
has_grow carol.db "in:while the relay is down"
has_grow alice2.db "in:while the relay is down"
python3 -c "
import sqlite3
n = sqlite3.connect('bob.db').execute('select count(*) from group_outbox').fetchone()[0]
assert n == 0, n" || fail "bob's group outbox is not empty"
# Alice removes carol: the others follow; carol reads none of the later
# posts, and hers are refused.
say_a "/group remove carol"; sleep 3
grep -q "#friends: alice removed carol" b.log || fail "bob did not remove carol"
grep -q "#friends: alice removed carol" c.log || fail "alice.2 did not remove carol"
say_a "/g without carol"; sleep 1
say_b "/g bob without carol"; sleep 1
say_d "/g carol after removal"; sleep 1
has_grow bob.db "in:without carol"
has_grow alice2.db "in:bob without carol"
lacks_grow carol.db "in:without carol"
lacks_grow carol.db "in:bob without carol"
lacks_grow bob.db "in:carol after removal"
lacks_grow alice.db "in:carol after removal"
grep -q "a post of #friends cannot be read yet" d.log || fail "carol was not told she cannot read"
say_a "/group list"; sleep 1
grep -q "^\* #friends (current): alice, bob\$" a.log || fail "alice's member list is not alice, bob"
say_a "/quit"; say_b "/quit"; say_c "/quit"; say_d "/quit"
sleep 1
wait "$pid_a" "$pid_b" "$pid_c" "$pid_d"

echo "chat smoke test: ok"
