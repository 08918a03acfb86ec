//! Attack: whoever can write the app's storage moves sealed state blobs
//! between rows (STORAGE.md §1, SECURITY.md "disk attacker"): Bob's
//! session into Carol's row, a session into the pending or group row,
//! another owner's blob into ours, or an old unbound blob back in. Every
//! move is refused with a typed error before anything is decrypted, and
//! the legacy (unbound) blobs load only through the explicit legacy path.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]

mod common;

use common::{T0, established};
use proptest::prelude::*;
use sealwire::DeviceAddress;
use sealwire::group::{Group, GroupId};
use sealwire::persist::{BlobAddress, StateBlob, StorageKey};
use sealwire::testing::{DangerDeterministicRng, seal_unbound_legacy};
use sealwire::{
    Encrypt, IdentityKey, IdentityKeyPair, Outgoing, PendingSession, PrekeyStore, Session,
    SessionRecord, persist::StateError,
};

/// Alice's storage: her identity, her sessions with Bob and Carol (each
/// device 1), a pending session with Dave, a group.
struct Storage {
    rng: DangerDeterministicRng,
    key: StorageKey,
    alice: IdentityKeyPair,
    bob: IdentityKey,
    carol: IdentityKey,
    with_bob: Session,
    with_carol: Session,
    pending: PendingSession,
    group: Group,
}

fn storage() -> Storage {
    let (s1, with_bob, _) = established(1);
    let alice = s1.alice_id;
    // Carol: another session from the same Alice (same identity).
    let mut s2 = common::setup(2, true);
    let carol_bundle = s2.bundle.clone();
    let mut pending_carol = PendingSession::initiate(&mut s2.rng, &alice, &carol_bundle).unwrap();
    let hello = pending_carol
        .encrypt(&mut s2.rng, T0, Outgoing::message(b"hi carol"))
        .unwrap()
        .message;
    let (mut carol_side, _) = Session::accept(&s2.bob_id, &mut s2.store, T0, &hello).unwrap();
    let reply = carol_side
        .encrypt(&mut s2.rng, T0, Outgoing::message(b"hi alice"))
        .unwrap()
        .message;
    let (with_carol, _) = pending_carol
        .receive(T0, &reply)
        .map_err(|r| r.error)
        .unwrap();
    let mut rng = s2.rng;
    let s3 = common::setup(3, true);
    let pending = PendingSession::initiate(&mut rng, &alice, &s3.bundle).unwrap();
    let id = GroupId::random(&mut rng);
    let (group, _) = Group::create_with_id(
        &mut rng,
        T0,
        id,
        *alice.public(),
        &[s1.bob_id.public().to_owned()],
    )
    .unwrap();
    Storage {
        key: StorageKey::from_bytes([0x5a; 32]),
        bob: *s1.bob_id.public(),
        carol: *s2.bob_id.public(),
        alice,
        with_bob,
        with_carol,
        pending,
        group,
        rng,
    }
}

impl Storage {
    fn owner(&self) -> IdentityKey {
        *self.alice.public()
    }
    fn bob_row(&self) -> BlobAddress {
        BlobAddress::peer(self.owner(), self.bob, 1)
    }
    fn carol_row(&self) -> BlobAddress {
        BlobAddress::peer(self.owner(), self.carol, 1)
    }
}

#[test]
fn bobs_session_in_carols_row_is_wrong_address() {
    let mut s = storage();
    let bob_blob = s.with_bob.seal(&s.key, &s.bob_row(), &mut s.rng);
    let carol_blob = s.with_carol.seal(&s.key, &s.carol_row(), &mut s.rng);
    // The right rows open.
    assert_eq!(
        Session::unseal(&s.key, &s.bob_row(), &bob_blob).unwrap(),
        s.with_bob
    );
    assert_eq!(
        Session::unseal(&s.key, &s.carol_row(), &carol_blob).unwrap(),
        s.with_carol
    );
    // Swapped: refused, told apart from a wrong key and from damage.
    assert_eq!(
        Session::unseal(&s.key, &s.carol_row(), &bob_blob),
        Err(StateError::WrongAddress)
    );
    assert_eq!(
        SessionRecord::unseal(&s.key, &s.bob_row(), &carol_blob),
        Err(StateError::WrongAddress)
    );
    // The same by the app's row keys (name and device id).
    let owner = s.owner();
    let row = |name: &str, device| BlobAddress::device(owner, &DeviceAddress::new(name, device));
    let in_bobs_row = s.with_bob.seal(&s.key, &row("bob", 1), &mut s.rng);
    assert_eq!(
        Session::unseal(&s.key, &row("carol", 1), &in_bobs_row),
        Err(StateError::WrongAddress)
    );
    assert_eq!(
        Session::unseal(&s.key, &row("bob", 2), &in_bobs_row),
        Err(StateError::WrongAddress)
    );
    assert_eq!(
        Session::unseal(&s.key, &row("bob", 1), &in_bobs_row).unwrap(),
        s.with_bob
    );
    // A wrong key is still WrongStorageKey, damage still Corrupted.
    assert_eq!(
        Session::unseal(&StorageKey::from_bytes([1; 32]), &s.bob_row(), &bob_blob),
        Err(StateError::WrongStorageKey)
    );
    let mut damaged = bob_blob.clone();
    let last = damaged.len() - 20;
    damaged[last] ^= 1;
    assert_eq!(
        Session::unseal(&s.key, &s.bob_row(), &damaged),
        Err(StateError::Corrupted)
    );
}

#[test]
fn the_address_is_not_readable_from_the_blob() {
    let mut s = storage();
    let here = BlobAddress::device(s.owner(), &DeviceAddress::new("bob", 1));
    let a = s.with_bob.seal(&s.key, &here, &mut s.rng);
    let b = s.with_bob.seal(&s.key, &here, &mut s.rng);
    for blob in [&a, &b] {
        assert!(!common::contains(blob, s.owner().as_bytes()));
        assert!(!common::contains(blob, s.bob.as_bytes()));
        assert!(!common::contains(blob, b"bob"));
    }
    // Salted: two seals for the same row have different address tags.
    assert_ne!(a[46..62], b[46..62]);
}

#[test]
fn kinds_swapped_between_rows_are_refused() {
    let mut s = storage();
    let owner = s.owner();
    let row = s.bob_row();
    let session = s.with_bob.seal(&s.key, &row, &mut s.rng);
    let pending = s.pending.seal(&s.key, &row, &mut s.rng);
    let group_row = BlobAddress::local(owner).with_context(s.group.id().as_bytes());
    let group = s.group.seal(&s.key, &group_row, &mut s.rng);
    // A session where a pending session or a group is expected, and back.
    assert!(matches!(
        PendingSession::unseal(&s.key, &row, &session),
        Err(StateError::WrongKind { .. })
    ));
    assert!(matches!(
        Session::unseal(&s.key, &row, &pending),
        Err(StateError::WrongKind { .. })
    ));
    assert!(matches!(
        Group::unseal(&s.key, &group_row, &session),
        Err(StateError::WrongKind { .. })
    ));
    assert!(matches!(
        Session::unseal(&s.key, &row, &group),
        Err(StateError::WrongKind { .. })
    ));
    // A loader that accepts both phases (SessionRecord) still gets its own
    // kinds only from its own row.
    assert_eq!(
        SessionRecord::unseal(&s.key, &row, &pending).unwrap(),
        SessionRecord::from(s.pending.clone())
    );
    assert_eq!(
        SessionRecord::unseal(&s.key, &group_row, &pending),
        Err(StateError::WrongAddress)
    );
    // The kind is in the address tag: a blob whose kind byte is rewritten
    // to another kind its loader accepts is refused before decryption.
    let mut relabelled = pending.clone();
    relabelled[4] = 0x03;
    relabelled[5] = 3;
    assert_eq!(
        SessionRecord::unseal(&s.key, &row, &relabelled),
        Err(StateError::WrongAddress)
    );
    // Identity and prekey rows of the same owner.
    let identity_row = BlobAddress::local(owner).with_context(b"identity");
    let prekey_row = BlobAddress::local(owner).with_context(b"prekeys");
    let store = PrekeyStore::new(&s.alice, &mut s.rng);
    let id_blob = s.alice.seal(&s.key, &identity_row, &mut s.rng);
    let pk_blob = store.seal(&s.key, &prekey_row, &mut s.rng);
    assert!(matches!(
        PrekeyStore::unseal(&s.key, &prekey_row, &id_blob),
        Err(StateError::WrongKind { .. })
    ));
    assert_eq!(
        PrekeyStore::unseal(&s.key, &identity_row, &pk_blob),
        Err(StateError::WrongAddress)
    );
    assert_eq!(
        IdentityKeyPair::unseal(&s.key, &identity_row, &id_blob).unwrap(),
        s.alice
    );
}

#[test]
fn another_owners_blob_is_refused() {
    // Two accounts on one device, one storage key: Mallory's session with
    // Bob moved into Alice's storage (same peer, same device).
    let mut s = storage();
    let mallory = IdentityKeyPair::generate(&mut s.rng);
    let malloys_row = BlobAddress::peer(*mallory.public(), s.bob, 1);
    let blob = s.with_bob.seal(&s.key, &malloys_row, &mut s.rng);
    assert_eq!(
        Session::unseal(&s.key, &s.bob_row(), &blob),
        Err(StateError::WrongAddress)
    );
    let id_blob = mallory.seal(&s.key, &BlobAddress::local(*mallory.public()), &mut s.rng);
    assert_eq!(
        IdentityKeyPair::unseal(&s.key, &BlobAddress::local(s.owner()), &id_blob),
        Err(StateError::WrongAddress)
    );
}

#[test]
fn legacy_unbound_blobs_load_only_through_the_legacy_path() {
    let mut s = storage();
    // A frozen blob written before addresses were bound (STORAGE.md §8).
    let frozen = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/state_v1/session.sealed.bin"),
    )
    .unwrap();
    let fixture_key = StorageKey::from_bytes([0x42; 32]);
    assert_eq!(&frozen[..4], b"SWSE");
    assert_eq!(
        Session::unseal(&fixture_key, &s.bob_row(), &frozen),
        Err(StateError::UnboundLegacy)
    );
    let session = Session::open_unbound_legacy(&fixture_key, &frozen).unwrap();
    // Migrated: sealed again, bound, it opens only from its row.
    let bound = session.seal(&fixture_key, &s.bob_row(), &mut s.rng);
    assert_eq!(
        Session::unseal(&fixture_key, &s.bob_row(), &bound).unwrap(),
        session
    );
    assert_eq!(
        Session::open_unbound_legacy(&fixture_key, &bound),
        Err(StateError::AddressBound)
    );
    // A legacy blob of ours put back into a row after the migration.
    let legacy = seal_unbound_legacy(&s.with_bob, &s.key, &mut s.rng);
    assert_eq!(
        Session::unseal(&s.key, &s.bob_row(), &legacy),
        Err(StateError::UnboundLegacy)
    );
    // Plain blobs are neither (STORAGE.md §1: not bound).
    assert_eq!(
        Session::unseal(&s.key, &s.bob_row(), &s.with_bob.to_blob()),
        Err(StateError::NotSealed)
    );
    assert_eq!(
        Session::open_unbound_legacy(&s.key, &s.with_bob.to_blob()),
        Err(StateError::NotSealed)
    );
    assert_eq!(Session::from_blob(&legacy), Err(StateError::Sealed));
}

/// Every field an address can carry, and one change of each.
fn variants(base: &[u8; 6]) -> (BlobAddress, Vec<BlobAddress>) {
    let k = |b: u8| *IdentityKeyPair::from_seed(&[b; 32]).public();
    let name = |b: u8| format!("peer-{b}");
    let make = |f: &[u8; 6]| {
        BlobAddress::device(k(f[0]), &DeviceAddress::new(name(f[2]), u32::from(f[3])))
            .with_peer_identity(k(f[1]))
            .with_context(&[f[4]])
    };
    let mut changed = Vec::new();
    for i in 0..5 {
        let mut f = *base;
        f[i] = f[i].wrapping_add(1 + base[5] % 7);
        changed.push(make(&f));
    }
    // Fields dropped (absent is not the same as any value).
    changed.push(BlobAddress::device(
        k(base[0]),
        &DeviceAddress::new(name(base[2]), u32::from(base[3])),
    ));
    changed.push(BlobAddress::peer(
        k(base[0]),
        k(base[1]),
        u32::from(base[3]),
    ));
    changed.push(BlobAddress::local(k(base[0])));
    (make(base), changed)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Any single-field change of the address is refused as WrongAddress,
    /// and the same address opens.
    #[test]
    fn any_single_field_change_of_the_address_is_refused(base in any::<[u8; 6]>()) {
        let key = StorageKey::from_bytes([0x33; 32]);
        let mut rng = DangerDeterministicRng::from_u64(u64::from(base[5]));
        let value = IdentityKeyPair::from_seed(&[base[5]; 32]);
        let (address, changed) = variants(&base);
        let blob = value.seal(&key, &address, &mut rng);
        prop_assert_eq!(IdentityKeyPair::unseal(&key, &address, &blob).unwrap(), value);
        for other in changed {
            prop_assert_ne!(&other, &address);
            prop_assert_eq!(
                IdentityKeyPair::unseal(&key, &other, &blob),
                Err(StateError::WrongAddress)
            );
        }
    }
}
