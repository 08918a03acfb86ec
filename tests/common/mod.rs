//! Helpers shared by the behavioural test files (`tests/model.rs`,
//! `tests/security.rs`, `tests/limits.rs`, `tests/wycheproof.rs`,
//! `tests/bad_input.rs`, `tests/group.rs`, `tests/group_retention.rs`).
//! Each test crate uses a different subset.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use sealwire::group::{Group, GroupError};
use sealwire::persist::StateBlob;
use sealwire::testing::DangerDeterministicRng;
use sealwire::{
    ContentType, Encrypt, IdentityKeyPair, Outgoing, PendingSession, PrekeyBundle, PrekeyStore,
    Received, Session, SessionError, SessionRecord, Timestamp,
};

/// The clock of every test unless a test moves it.
pub const T0: Timestamp = Timestamp::from_unix_millis(1_780_000_000_000);

/// Offsets inside a prekey message (SPEC.md §7).
pub mod prekey_offsets {
    /// Initiator identity key: `2..34`.
    pub const IDENTITY: core::ops::Range<usize> = 2..34;
    /// Base key: `34..66`.
    pub const BASE_KEY: core::ops::Range<usize> = 34..66;
    /// Signed prekey id: `66..70`.
    pub const SPK_ID: core::ops::Range<usize> = 66..70;
    /// Flags byte.
    pub const FLAGS: usize = 70;
    /// One-time prekey id (when the flag is set): `71..75`.
    pub const OPK_ID: core::ops::Range<usize> = 71..75;
    /// Start of the ratchet header when a one-time prekey id is present.
    pub const HEADER_WITH_OPK: usize = 75;
    /// Start of the ratchet header without a one-time prekey id.
    pub const HEADER_WITHOUT_OPK: usize = 71;
}

/// Offsets inside a ratchet message.
pub mod ratchet_offsets {
    /// Start of the 52-byte header.
    pub const HEADER: usize = 2;
}

/// Offsets inside a header: ratchet key, PN, N, nonce mask r.
pub mod header_offsets {
    /// Ratchet key: `0..32`.
    pub const KEY: core::ops::Range<usize> = 0..32;
    /// PN (u32 BE): `32..36`.
    pub const PN: core::ops::Range<usize> = 32..36;
    /// N (u32 BE): `36..40`.
    pub const N: core::ops::Range<usize> = 36..40;
    /// The nonce mask r: `40..52`.
    pub const R: core::ops::Range<usize> = 40..52;
}

/// Two identities and Bob's published material.
pub struct Setup {
    pub rng: DangerDeterministicRng,
    pub alice_id: IdentityKeyPair,
    pub bob_id: IdentityKeyPair,
    pub store: PrekeyStore,
    pub bundle: PrekeyBundle,
    /// The one-time prekey the bundle carries, if any.
    pub opk_id: Option<u32>,
}

/// Bob's store holds three one-time prekeys; the bundle carries the first
/// one if `with_opk`. The bundle goes through its encoding and parsing.
pub fn setup(seed: u64, with_opk: bool) -> Setup {
    let mut rng = DangerDeterministicRng::from_u64(seed);
    let alice_id = IdentityKeyPair::generate(&mut rng);
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let mut store = PrekeyStore::new(&bob_id, &mut rng);
    let opks = store.generate_one_time_prekeys(&mut rng, 3);
    let opk_id = with_opk.then(|| opks[0].id);
    let bytes = store.bundle(&bob_id, opk_id).unwrap().to_vec();
    let bundle = PrekeyBundle::parse(&bytes).unwrap();
    Setup {
        rng,
        alice_id,
        bob_id,
        store,
        bundle,
        opk_id,
    }
}

/// A full handshake: Alice's first message, Bob accepts, Bob replies,
/// Alice receives. Returns established Alice and Bob; Bob has received one
/// message of Alice's first chain, Alice one of Bob's first chain.
pub fn established(seed: u64) -> (Setup, Session, Session) {
    let (s, alice, bob, _) = established_and_hello(seed);
    (s, alice, bob)
}

/// [`established`], also returning the prekey message Bob accepted.
fn established_and_hello(seed: u64) -> (Setup, Session, Session, Vec<u8>) {
    let mut s = setup(seed, true);
    let mut pending = PendingSession::initiate(&mut s.rng, &s.alice_id, &s.bundle).unwrap();
    let hello = pending
        .encrypt(&mut s.rng, T0, Outgoing::message(b"hello bob"))
        .unwrap()
        .message;
    let (mut bob, _) = Session::accept(&s.bob_id, &mut s.store, T0, &hello).unwrap();
    let reply = bob
        .encrypt(&mut s.rng, T0, Outgoing::message(b"hello alice"))
        .unwrap()
        .message;
    let (alice, got) = pending.receive(T0, &reply).map_err(|r| r.error).unwrap();
    assert_eq!(&got.plaintext[..], b"hello alice");
    (s, alice, bob, hello)
}

/// `body` as a key distribution from `from` decrypted by its recipient: a
/// fresh 1:1 session (its own generator, so no caller's sequence moves)
/// carries it, content type `0x03`, and the recipient's [`Received`] is
/// what `accept_distribution` takes (the chain is bound to the session's
/// authenticated peer, `from`). A recipient's identity does not enter:
/// any will do.
pub fn distribution_from(from: &IdentityKeyPair, now: Timestamp, body: &[u8]) -> Received {
    let mut rng = DangerDeterministicRng::from_u64(0xd157);
    let to = IdentityKeyPair::generate(&mut rng);
    let mut store = PrekeyStore::new(&to, &mut rng);
    let bundle = store.bundle(&to, None).unwrap();
    let mut session =
        SessionRecord::from(PendingSession::initiate(&mut rng, from, &bundle).unwrap());
    let message = session
        .encrypt(
            &mut rng,
            now,
            Outgoing::new(ContentType::GroupKeyDistribution, body),
        )
        .unwrap()
        .message;
    let (_, received) = Session::accept(&to, &mut store, now, &message).unwrap();
    assert_eq!(received.sender, *from.public());
    received
}

/// Two members of the group `gid`, each holding the other's chain (the
/// second is the attacker in the adversary tests).
pub fn group_pair(
    seed: u64,
    gid: sealwire::group::GroupId,
) -> (DangerDeterministicRng, Group, Group) {
    let mut rng = DangerDeterministicRng::from_u64(seed);
    let a = IdentityKeyPair::generate(&mut rng);
    let m = IdentityKeyPair::generate(&mut rng);
    let (mut alice, da) =
        Group::create_with_id(&mut rng, T0, gid, *a.public(), &[*m.public()]).unwrap();
    let (mut mallory, dm) =
        Group::create_with_id(&mut rng, T0, gid, *m.public(), &[*a.public()]).unwrap();
    alice
        .accept_distribution(T0, &distribution_from(&m, T0, &dm.body))
        .unwrap();
    mallory
        .accept_distribution(T0, &distribution_from(&a, T0, &da.body))
        .unwrap();
    (rng, alice, mallory)
}

/// A distinctive body, so that a test can look for it in a buffer.
pub fn body(tag: u64) -> Vec<u8> {
    let mut b = b"secret-body-".to_vec();
    b.extend_from_slice(&tag.to_be_bytes());
    b.extend_from_slice(b"-end");
    b
}

/// The group refuses `post` at `now` with `expected`, through both
/// `receive_post` and `receive_post_in_place`, and is exactly as before:
/// equal, and its saved blob the same byte for byte.
pub fn group_refuses(g: &mut Group, now: Timestamp, post: &[u8], expected: GroupError) {
    let before = g.clone();
    let blob = g.to_blob();
    assert_eq!(g.receive_post(now, post).map(|_| ()), Err(expected));
    assert!(
        *g == before,
        "a failed receive ({expected:?}) changed the group"
    );
    let mut buf = post.to_vec();
    assert_eq!(
        g.receive_post_in_place(now, &mut buf).map(|_| ()),
        Err(expected)
    );
    assert!(
        *g == before,
        "a failed in-place receive ({expected:?}) changed the group"
    );
    assert_eq!(
        &g.to_blob()[..],
        &blob[..],
        "a failed receive ({expected:?}) changed the saved group"
    );
}

/// Whether `haystack` contains `needle` as a contiguous run.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Decrypts `msg` with `session` through both `decrypt` and
/// `decrypt_in_place`, each of which must fail with the same error and leave
/// the session exactly as it was; the in-place buffer must not hold
/// `secret` afterwards. Returns the error.
pub fn decrypt_fails(
    session: &mut Session,
    now: Timestamp,
    msg: &[u8],
    secret: Option<&[u8]>,
) -> SessionError {
    let before = session.clone();
    let err = match session.decrypt(now, msg) {
        Ok(r) => panic!(
            "expected an error, decrypted message number {}",
            r.message_number
        ),
        Err(e) => e,
    };
    assert!(
        *session == before,
        "a failed decrypt ({err:?}) changed the session"
    );
    let mut buf = msg.to_vec();
    let err2 = session
        .decrypt_in_place(now, &mut buf)
        .map(|r| r.message_number)
        .expect_err("decrypt_in_place accepted what decrypt refused");
    assert_eq!(err, err2, "decrypt and decrypt_in_place disagree");
    assert!(
        *session == before,
        "a failed decrypt_in_place ({err:?}) changed the session"
    );
    if let Some(secret) = secret {
        assert!(
            !contains(&buf, secret),
            "the buffer holds plaintext after a failed decrypt_in_place"
        );
    }
    err
}

/// Offers `msg` to `Session::accept`, which must fail and leave the store
/// exactly as it was. Returns the error.
pub fn accept_fails(
    identity: &IdentityKeyPair,
    store: &mut PrekeyStore,
    msg: &[u8],
) -> SessionError {
    let before = store.clone();
    let err = match Session::accept(identity, store, T0, msg) {
        Ok((_, r)) => panic!(
            "expected accept to fail, it decrypted message number {}",
            r.message_number
        ),
        Err(e) => e,
    };
    assert!(
        *store == before,
        "a failed accept ({err:?}) changed the store"
    );
    err
}

/// Offers `msg` to a pending session, which must refuse it and hand back a
/// session equal to the one it was. Returns the error and the session.
pub fn receive_fails(pending: PendingSession, msg: &[u8]) -> (SessionError, PendingSession) {
    let before = pending.clone();
    match pending.receive(T0, msg) {
        Ok((_, r)) => panic!(
            "expected receive to fail, it decrypted message number {}",
            r.message_number
        ),
        Err(rejected) => {
            assert!(
                *rejected.session == before,
                "a refused reply ({:?}) changed the pending session",
                rejected.error
            );
            (rejected.error, *rejected.session)
        }
    }
}

/// `msg` with `mask` XORed into byte `at`.
pub fn flipped(msg: &[u8], at: usize, mask: u8) -> Vec<u8> {
    let mut m = msg.to_vec();
    m[at] ^= mask;
    m
}

/// `msg` with bytes `range` replaced by `with`.
pub fn replaced(msg: &[u8], range: core::ops::Range<usize>, with: &[u8]) -> Vec<u8> {
    let mut m = msg.to_vec();
    m[range].copy_from_slice(with);
    m
}

/// Reads the big-endian u32 at `at`.
pub fn be32(msg: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(msg[at..at + 4].try_into().unwrap())
}

/// An independent model of a group post's cryptography (SPEC.md §20.2,
/// §20.4), written from the text with the `hmac`, `hkdf`, `aes` and `sha2`
/// crates directly, so that tests can build posts the library did not make
/// (forgeries) and check the library's posts against the SPEC.
pub mod group_post {
    use aes_gcm::aes::Aes256;
    use aes_gcm::aes::cipher::{BlockCipherEncrypt, KeyInit};
    use hkdf::Hkdf;
    use hmac::{Hmac, Mac};
    use sha2::{Digest, Sha256};

    type H = Hmac<Sha256>;

    fn hmac(key: &[u8; 32], byte: u8) -> [u8; 32] {
        let mut m = <H as hmac::KeyInit>::new_from_slice(key).unwrap();
        m.update(&[byte]);
        m.finalize().into_bytes().into()
    }

    /// `MK` at `iteration` of the chain whose key at iteration 0 is
    /// `chain_key`: `CK' = HMAC(CK, 0x02)` steps, then `HMAC(CK, 0x01)`.
    pub fn message_key(chain_key: [u8; 32], iteration: u32) -> [u8; 32] {
        let mut ck = chain_key;
        for _ in 0..iteration {
            ck = hmac(&ck, 0x02);
        }
        hmac(&ck, 0x01)
    }

    /// `HKDF(0x00*32, MK, "Sealwire_GroupMessageKeys_v3", 44)` split into
    /// the AES-256 key and the 12-byte nonce.
    pub fn cipher_keys(mk: &[u8; 32]) -> ([u8; 32], [u8; 12]) {
        let mut okm = [0u8; 44];
        Hkdf::<Sha256>::new(Some(&[0u8; 32]), mk)
            .expand(b"Sealwire_GroupMessageKeys_v3", &mut okm)
            .unwrap();
        (okm[..32].try_into().unwrap(), okm[32..].try_into().unwrap())
    }

    /// The first 12 bytes of every counter block of a post: `nonce XOR r`.
    pub fn counter_prefix(nonce: &[u8; 12], r: &[u8; 12]) -> [u8; 12] {
        core::array::from_fn(|i| nonce[i] ^ r[i])
    }

    /// AES-256-CTR from the block cipher: block `i` of the keystream is
    /// `AES(key, prefix || i as u32 BE)`, `i` from 0, where `prefix` is
    /// [`counter_prefix`]`(nonce, r)`.
    pub fn ctr_xor(key: &[u8; 32], prefix: &[u8; 12], buf: &mut [u8]) {
        let aes = Aes256::new(key.into());
        for (i, chunk) in buf.chunks_mut(16).enumerate() {
            let mut block = [0u8; 16];
            block[..12].copy_from_slice(prefix);
            block[12..].copy_from_slice(&u32::try_from(i).unwrap().to_be_bytes());
            let mut block = block.into();
            aes.encrypt_block(&mut block);
            for (b, k) in chunk.iter_mut().zip(block.iter()) {
                *b ^= k;
            }
        }
    }

    /// The 38-byte post header: version 0x03, type 0x20, group id, chain
    /// id, iteration, `r`.
    pub fn header(group_id: &[u8; 16], chain_id: u32, iteration: u32, r: &[u8; 12]) -> Vec<u8> {
        let mut h = vec![0x03, 0x20];
        h.extend_from_slice(group_id);
        h.extend_from_slice(&chain_id.to_be_bytes());
        h.extend_from_slice(&iteration.to_be_bytes());
        h.extend_from_slice(r);
        h
    }

    /// `"Sealwire_GroupPost_v3" || header || IK_sender || SHA-256(ciphertext)`.
    pub fn signed_message(header: &[u8], sender: &[u8; 32], ciphertext: &[u8]) -> Vec<u8> {
        let mut msg = b"Sealwire_GroupPost_v3".to_vec();
        msg.extend_from_slice(header);
        msg.extend_from_slice(sender);
        msg.extend_from_slice(&Sha256::digest(ciphertext));
        msg
    }

    /// A whole post at `iteration` of `chain_id` under `chain_key`, of the
    /// inner `frame` (not yet encrypted), with random bytes `r`, signed by
    /// `signing` as `sender`'s: what anyone holding a chain key can build.
    #[allow(clippy::too_many_arguments, dead_code)]
    pub fn build(
        group_id: &[u8; 16],
        chain_key: [u8; 32],
        chain_id: u32,
        iteration: u32,
        r: &[u8; 12],
        frame: &[u8],
        sender: &[u8; 32],
        signing: &ed25519_dalek::SigningKey,
    ) -> Vec<u8> {
        use ed25519_dalek::Signer;
        let mk = message_key(chain_key, iteration);
        let (key, nonce) = cipher_keys(&mk);
        let header = header(group_id, chain_id, iteration, r);
        let mut ct = frame.to_vec();
        ctr_xor(&key, &counter_prefix(&nonce, r), &mut ct);
        let msg = signed_message(&header, sender, &ct);
        let mut post = header;
        post.extend_from_slice(&ct);
        post.extend_from_slice(&signing.sign(&msg).to_bytes());
        post
    }
}

/// Hex and explicit-input helpers of the known-answer vector files.
pub mod vectors {
    use serde_json::Value;

    /// Lower-case hex.
    pub fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Bytes of a hex string.
    pub fn unhex(s: &str) -> Vec<u8> {
        assert!(s.len().is_multiple_of(2), "odd hex");
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// A fixed-length value of a JSON hex string.
    pub fn arr<const N: usize>(v: &Value) -> [u8; N] {
        unhex(v.as_str().unwrap()).try_into().unwrap()
    }

    /// `start, start + 1, ...` (explicit, readable inputs), wrapping.
    #[allow(clippy::cast_possible_truncation)]
    pub fn counting<const N: usize>(start: u8) -> [u8; N] {
        core::array::from_fn(|i| start.wrapping_add(i as u8))
    }

    /// The listed cases of the vector file at `path`, after rewriting it as
    /// `{"description", "cases"}` from `cases` when
    /// `SEALWIRE_REGENERATE_VECTORS` is set; `expected` cases must be
    /// listed.
    pub fn listed_cases(
        path: &str,
        description: &str,
        cases: impl FnOnce() -> Vec<Value>,
        expected: usize,
    ) -> Vec<Value> {
        if std::env::var_os("SEALWIRE_REGENERATE_VECTORS").is_some() {
            let all = serde_json::json!({ "description": description, "cases": cases() });
            std::fs::write(path, serde_json::to_string_pretty(&all).unwrap() + "\n").unwrap();
        }
        let file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let listed = file["cases"].as_array().unwrap().clone();
        assert_eq!(listed.len(), expected, "{path}: number of cases");
        listed
    }
}

/// A full handshake as [`established`], against a PQ prekey store (PQXDH,
/// on its last-resort PQ prekey) when `pq`, a classic one (X3DH) else.
/// Returns the generator and established Alice and Bob.
pub fn established_with(seed: u64, pq: bool) -> (DangerDeterministicRng, Session, Session) {
    let (rng, alice, bob, _) = established_with_hello(seed, pq);
    (rng, alice, bob)
}

/// [`established_with`], also returning the prekey message Bob accepted.
pub fn established_with_hello(
    seed: u64,
    pq: bool,
) -> (DangerDeterministicRng, Session, Session, Vec<u8>) {
    if !pq {
        let (s, alice, bob, hello) = established_and_hello(seed);
        return (s.rng, alice, bob, hello);
    }
    let mut rng = DangerDeterministicRng::from_u64(seed);
    let alice_id = IdentityKeyPair::generate(&mut rng);
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let mut store = PrekeyStore::new_pq(&bob_id, &mut rng);
    let bundle = store.bundle(&bob_id, None).unwrap();
    let mut pending = PendingSession::initiate(&mut rng, &alice_id, &bundle).unwrap();
    let hello = pending
        .encrypt(&mut rng, T0, Outgoing::message(b"hello bob"))
        .unwrap()
        .message;
    let (mut bob, _) = Session::accept(&bob_id, &mut store, T0, &hello).unwrap();
    let reply = bob
        .encrypt(&mut rng, T0, Outgoing::message(b"hello alice"))
        .unwrap()
        .message;
    let (alice, _) = pending.receive(T0, &reply).map_err(|r| r.error).unwrap();
    (rng, alice, bob, hello)
}

/// Legacy state-blob layouts, rewritten from current blobs (STORAGE.md §4,
/// STORAGE.md §10): for tests that load old formats without a frozen fixture.
pub mod legacy {
    use sha2::Digest;

    /// Rewrites a plain blob's checksum after an edit.
    pub fn fix_checksum(blob: &mut [u8]) {
        let n = blob.len() - 16;
        let sum = sha2::Sha256::digest(&blob[..n]);
        blob[n..].copy_from_slice(&sum[..16]);
    }

    /// Length of a session's prekey fields (v2 and later) starting at
    /// `at`: from session v5 on, the KEM ciphertext is its 32-byte digest.
    fn prekey_fields_len(b: &[u8], at: usize) -> usize {
        let mut n = 64 + 32 + 4;
        if b[at + n] == 1 {
            n += 4;
        }
        n += 1;
        if b[at + n] == 1 {
            n += 4 + if b[5] >= 5 { 32 } else { 1088 };
        }
        n + 1
    }

    /// Narrows the timer (mode, TTL, version u64) and the highest version
    /// (u64) at `at` to u32 versions; `None` if a version does not fit.
    fn narrow_timer(out: &mut Vec<u8>, b: &[u8], at: usize) -> Option<usize> {
        out.extend_from_slice(&b[at..at + 5]);
        let version = u64::from_be_bytes(b[at + 5..at + 13].try_into().unwrap());
        let highest = u64::from_be_bytes(b[at + 13..at + 21].try_into().unwrap());
        out.extend_from_slice(&u32::try_from(version).ok()?.to_be_bytes());
        out.extend_from_slice(&u32::try_from(highest).ok()?.to_be_bytes());
        Some(at + 21)
    }

    /// The conversation and ratchet from `at` in the legacy layout: u32
    /// timer versions, our ratchet secret always 32 bytes (`filler` when
    /// the current blob holds none).
    fn legacy_conversation(out: &mut Vec<u8>, b: &[u8], at: usize, filler: [u8; 32]) {
        let at = narrow_timer(out, b, at).expect("timer versions fit in u32");
        // max_skipped_key_age_ms 8 | associated_data 66 | root_key 32
        out.extend_from_slice(&b[at..at + 8 + 66 + 32]);
        let at = at + 8 + 66 + 32;
        let at = match b[at] {
            1 => {
                out.extend_from_slice(&b[at + 1..at + 33]);
                at + 33
            }
            _ => {
                out.extend_from_slice(&filler);
                at + 1
            }
        };
        out.extend_from_slice(&b[at..b.len() - 16]);
        out.extend_from_slice(&[0; 16]);
    }

    /// Offset of the conversation timer in a session blob of v3 or later.
    pub fn session_timer_at(blob: &[u8]) -> usize {
        let at = 6 + 64 + 1;
        if blob[at] == 1 {
            at + 1 + prekey_fields_len(blob, at + 1)
        } else {
            at + 1
        }
    }

    /// Offset of the timer in a group blob.
    pub fn group_timer_at(blob: &[u8]) -> usize {
        6 + 1 + 16 + 64 + if blob[6] == 0x03 { 64 } else { 0 }
    }

    /// Sets the timer version and the highest version seen (u64) of a
    /// current blob whose timer is at `timer_at`.
    pub fn set_u64_versions(blob: &mut [u8], timer_at: usize, version: u64, highest: u64) {
        blob[timer_at + 5..timer_at + 13].copy_from_slice(&version.to_be_bytes());
        blob[timer_at + 13..timer_at + 21].copy_from_slice(&highest.to_be_bytes());
        fix_checksum(blob);
    }

    /// A current (v5) session blob in the session v3 layout; where the
    /// session holds no ratchet secret, `filler` stands in its place (as
    /// the secret an old version would have kept). Not for a PQXDH
    /// responder's blob (see [`session_as_v3_with`]).
    pub fn session_as_v3(blob: &[u8], filler: [u8; 32]) -> Vec<u8> {
        session_as_v3_with(blob, filler, None)
    }

    /// [`session_as_v3`], also for a PQXDH responder's blob: `ct` is the
    /// KEM ciphertext of the prekey message it accepted, which v3 holds
    /// where v5 holds its SHA-256 digest (checked).
    pub fn session_as_v3_with(blob: &[u8], filler: [u8; 32], ct: Option<&[u8]>) -> Vec<u8> {
        assert_eq!(blob[5], 5);
        let fields = 6 + 64 + 2;
        let pq_flag = fields + 100 + if blob[fields + 100] == 1 { 5 } else { 1 };
        let blob = if blob[6 + 64 + 1] == 1 && blob[pq_flag] == 1 {
            let ct = ct.expect("a PQXDH responder's v3 form needs its ciphertext");
            let digest_at = pq_flag + 1 + 4;
            assert_eq!(
                &blob[digest_at..digest_at + 32],
                &sha2::Sha256::digest(ct)[..]
            );
            let mut v4 = [&blob[..digest_at], ct, &blob[digest_at + 32..]].concat();
            v4[5] = 4;
            v4
        } else {
            blob.to_vec()
        };
        let at = session_timer_at(&blob);
        let mut out = blob[..at].to_vec();
        out[5] = 3;
        legacy_conversation(&mut out, &blob, at, filler);
        fix_checksum(&mut out);
        out
    }

    /// A current (v3) pending-session blob in the pending v2 layout.
    pub fn pending_as_v2(blob: &[u8]) -> Vec<u8> {
        assert_eq!(blob[5], 3);
        let at = 6 + 64 + prekey_fields_len(blob, 6 + 64);
        let mut out = blob[..at].to_vec();
        out[5] = 2;
        legacy_conversation(&mut out, blob, at, [0; 32]);
        fix_checksum(&mut out);
        out
    }

    /// A current (v3) group blob in the group v2 layout.
    pub fn group_as_v2(blob: &[u8]) -> Vec<u8> {
        assert_eq!(blob[5], 3);
        let at = group_timer_at(blob);
        let mut out = blob[..at].to_vec();
        out[5] = 2;
        let at = narrow_timer(&mut out, blob, at).expect("timer versions fit in u32");
        out.extend_from_slice(&blob[at..]);
        fix_checksum(&mut out);
        out
    }

    /// Sets the timer version and the highest version seen of a legacy
    /// session (v3) or group (v2) blob made by the functions above, at
    /// the timer found at `timer_at`.
    pub fn set_u32_versions(blob: &mut [u8], timer_at: usize, version: u32, highest: u32) {
        blob[timer_at + 5..timer_at + 9].copy_from_slice(&version.to_be_bytes());
        blob[timer_at + 9..timer_at + 13].copy_from_slice(&highest.to_be_bytes());
        fix_checksum(blob);
    }
}
