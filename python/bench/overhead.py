"""Cost of a call through the Python package against the same call through
the Rust API, measured in the same run.

    cargo build --release --manifest-path python/Cargo.toml --example overhead
    python3 python/bench/overhead.py   # or --quick (CI's smoke run)

The Rust side is python/bench/overhead.rs (built and started here): it
waits for round sizes on stdin. Rounds alternate (Rust then Python, Python
then Rust, ...) so that both sides see the same machine state; each
operation's figure is the median over rounds of its time per call. The
overhead of one call is Python's time minus Rust's, in µs. Bodies are
100 bytes; sessions are established PQXDH sessions, the group has two
members, sealing wraps one 1:1 message of a 100-byte body.
"""

import os
import statistics
import subprocess
import sys
import time

import sealwire as sw
from sealwire import sealed

NOW = 1_780_000_000_000
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def python_side():
    alice, bob = sw.IdentityKeyPair.generate(), sw.IdentityKeyPair.generate()
    bob_prekeys = sw.PrekeyStore(bob)
    a = sw.Session.initiate(alice, bob_prekeys.bundle(bob))
    b, _ = sw.Session.accept(bob, bob_prekeys, a.encrypt(b"hello", now=NOW), now=NOW)
    a.decrypt(b.encrypt(b"hi", now=NOW), now=NOW)
    ga, dist = sw.Group.create(alice.public_key, [bob.public_key], now=NOW)
    gb, _ = sw.Group.create_with_id(ga.id, bob.public_key, [alice.public_key], now=NOW)
    gb.accept_distribution(b.decrypt(dist.encrypt_for(a, now=NOW), now=NOW), now=NOW)
    server = sealed.ServerKey.generate(1)
    certificate = server.issue("alice", 1, alice.public_key, NOW + 86_400_000)
    key = alice.public_key
    bob_key = bob.public_key
    body = b"\x42" * 100
    inner = a.encrypt(body, now=NOW)  # sealing wraps a 1:1 wire message
    clock = time.perf_counter_ns

    def round_(n: int):
        t = clock()
        for _ in range(n):
            key.to_bytes()
        key_bytes = (clock() - t) / n
        t = clock()
        messages = [a.encrypt(body, now=NOW) for _ in range(n)]
        encrypt = (clock() - t) / n
        t = clock()
        for m in messages:
            b.decrypt(m, now=NOW)
        decrypt = (clock() - t) / n
        t = clock()
        posts = [ga.post(body, now=NOW).message for _ in range(n)]
        post = (clock() - t) / n
        t = clock()
        for p in posts:
            gb.receive_post(p, now=NOW)
        receive = (clock() - t) / n
        t = clock()
        envelopes = [sealed.seal(bob_key, certificate, inner) for _ in range(n)]
        seal = (clock() - t) / n
        t = clock()
        for e in envelopes:
            sealed.open(bob, e)
        opened = (clock() - t) / n
        return [key_bytes, encrypt, decrypt, post, receive, seal, opened]

    return round_


def main() -> None:
    quick = "--quick" in sys.argv
    rounds, n = (4, 50) if quick else (20, 400)
    manifest = os.path.join(ROOT, "python", "Cargo.toml")
    subprocess.run(["cargo", "build", "--quiet", "--release", "--manifest-path", manifest,
                    "--example", "overhead"], check=True)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "python", "target"))
    if not os.path.isabs(target):
        target = os.path.join(ROOT, target)
    rust = subprocess.Popen([os.path.join(target, "release", "examples", "overhead")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    stdin, stdout = rust.stdin, rust.stdout
    assert stdin is not None and stdout is not None
    operations = stdout.readline().split()

    def rust_round(size: int):
        stdin.write(f"{size}\n")
        stdin.flush()
        return [float(x) for x in stdout.readline().split()]

    py_round = python_side()
    # Warm-up, not counted.
    rust_round(n)
    py_round(n)
    rust_ns, py_ns = [], []
    for i in range(rounds):
        if i % 2 == 0:
            rust_ns.append(rust_round(n))
            py_ns.append(py_round(n))
        else:
            py_ns.append(py_round(n))
            rust_ns.append(rust_round(n))
    stdin.close()
    rust.wait()

    print(f"sealwire {sw.__version__}, Python {sys.version.split()[0]}, "
          f"{rounds} paired rounds of {n} calls, medians")
    print("| operation | Rust (µs) | Python (µs) | overhead of one call (µs) | ratio |")
    print("|---|---:|---:|---:|---:|")
    for j, op in enumerate(operations):
        r = statistics.median(x[j] for x in rust_ns) / 1000
        p = statistics.median(x[j] for x in py_ns) / 1000
        ratio = f"{p / r:.2f}" if r >= 0.05 else "—"
        print(f"| {op} | {r:.2f} | {p:.2f} | {p - r:.2f} | {ratio} |")


if __name__ == "__main__":
    main()
