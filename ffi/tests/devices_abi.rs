//! Devices at the C boundary: the constants and layouts agree with the
//! library and the header, every `DeviceError` has its own code, a
//! multi-device send through the C ABI decrypts on every device in the
//! order documented, simultaneous initiation converges, and hostile bytes
//! into every function that parses a recovery request, a message, a bundle
//! or a device list give result codes, never a panic or an internal error.
//! Saved state: the core's frozen device fixtures load through the C ABI
//! and save again to the same bytes, single-session blobs of every version
//! (plain and legacy sealed) load as device sessions, and hostile blobs
//! (random, mutated, sealed, and bodies behind a rebuilt checksum) into
//! every loader give codes; what the format allows loads, works and saves
//! canonically.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation,
    missing_docs
)]

use std::mem::{MaybeUninit, align_of, offset_of, size_of};
use std::ptr::null_mut;

use sealwire::devices::{DeviceError, RECOVERY_VERSION, TYPE_RECOVERY_REQUEST};
use sealwire::limits;
use sealwire::testing::DangerDeterministicRng;
use sealwire::{DecodeError, DeviceAddress, SessionError};
use sealwire_ffi::*;

const T0: u64 = 1_780_000_000_000;

const BAD: [sw_result; 3] = [
    sw_result::SW_PANIC,
    sw_result::SW_INTERNAL,
    sw_result::SW_UNKNOWN_ERROR,
];

fn clean(rc: sw_result) {
    assert!(!BAD.contains(&rc), "{rc:?}");
}

fn ok(rc: sw_result) {
    assert_eq!(rc, sw_result::SW_OK);
}

/// A device: identity, public key, prekey store.
struct Device {
    id: *mut sw_identity,
    key: [u8; 32],
    prekeys: *mut sw_prekey_store,
}

impl Device {
    fn new(seed: u8) -> Self {
        let mut id = null_mut();
        let mut prekeys = null_mut();
        let mut key = [0u8; 32];
        let mut n = 0;
        // SAFETY: valid buffers and out-parameters.
        unsafe {
            ok(sw_identity_from_seed([seed; 32].as_ptr(), 32, &mut id));
            ok(sw_identity_public_key(id, key.as_mut_ptr(), 32, &mut n));
            ok(sw_prekey_store_new(null_mut(), id, &mut prekeys));
        }
        Self { id, key, prekeys }
    }

    fn bundle(&self) -> Vec<u8> {
        let mut buf = vec![0u8; SW_MAX_BUNDLE_LEN];
        let mut n = 0;
        // SAFETY: live handles, a buffer with its length.
        ok(unsafe {
            sw_prekey_store_bundle(self.prekeys, self.id, buf.as_mut_ptr(), buf.len(), &mut n)
        });
        buf.truncate(n);
        buf
    }

    /// Decrypts a message from the device with key `peer`.
    fn decrypt(
        &self,
        s: *mut sw_device_sessions,
        peer: &[u8; 32],
        msg: &[u8],
    ) -> Result<(Vec<u8>, sw_received_info), sw_result> {
        let mut plain = vec![0u8; msg.len()];
        let mut n = 0;
        let mut info = MaybeUninit::<sw_received_info>::uninit();
        // SAFETY: live handles, buffers with their lengths, valid
        // out-parameters.
        let rc = unsafe {
            sw_device_sessions_decrypt(
                s,
                self.id,
                self.prekeys,
                peer.as_ptr(),
                32,
                T0,
                msg.as_ptr(),
                msg.len(),
                plain.as_mut_ptr(),
                plain.len(),
                &mut n,
                info.as_mut_ptr(),
            )
        };
        if rc != sw_result::SW_OK {
            return Err(rc);
        }
        plain.truncate(n);
        // SAFETY: written on success.
        Ok((plain, unsafe { info.assume_init() }))
    }

    /// Starts a session with `peer` from its bundle.
    fn initiate(&self, s: *mut sw_device_sessions, peer: &Device) {
        let bundle = peer.bundle();
        // SAFETY: live handles, buffers with their lengths.
        ok(unsafe {
            sw_device_sessions_initiate(
                null_mut(),
                s,
                self.id,
                peer.key.as_ptr(),
                32,
                bundle.as_ptr(),
                bundle.len(),
            )
        });
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        // SAFETY: handles made by `new`, freed once.
        unsafe {
            sw_prekey_store_free(self.prekeys);
            sw_identity_free(self.id);
        }
    }
}

fn new_sessions() -> *mut sw_device_sessions {
    let mut s = null_mut();
    // SAFETY: a valid out-parameter.
    ok(unsafe { sw_device_sessions_new(&mut s) });
    s
}

fn encrypt(s: *mut sw_device_sessions, peer: &[u8; 32], body: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; body.len() + 4096];
    let mut n = 0;
    // SAFETY: live handle, buffers with their lengths.
    ok(unsafe {
        sw_device_sessions_encrypt(
            null_mut(),
            s,
            T0,
            peer.as_ptr(),
            32,
            sw_content_type::SW_CONTENT_USER_MESSAGE as u32,
            false,
            body.as_ptr(),
            body.len(),
            buf.as_mut_ptr(),
            buf.len(),
            &mut n,
        )
    });
    buf.truncate(n);
    buf
}

fn list(user: &str, devices: &[(u32, &Device)]) -> *mut sw_device_list {
    let mut l = null_mut();
    let entries: Vec<sw_device_entry> = devices
        .iter()
        .map(|(id, d)| sw_device_entry {
            device_id: *id,
            identity: d.key,
        })
        .collect();
    let mut events = vec![MaybeUninit::<sw_device_event>::uninit(); SW_MAX_DEVICE_EVENTS];
    let mut n = 0;
    // SAFETY: buffers with their lengths, valid out-parameters.
    unsafe {
        ok(sw_device_list_new(user.as_ptr(), user.len(), &mut l));
        ok(sw_device_list_update(
            l,
            entries.as_ptr(),
            entries.len(),
            events.as_mut_ptr().cast(),
            events.len(),
            &mut n,
        ));
    }
    assert_eq!(n, devices.len());
    l
}

#[test]
fn constants_match_the_library() {
    assert_eq!(SW_MAX_DEVICES_PER_USER, limits::MAX_DEVICES_PER_USER);
    assert_eq!(SW_MAX_USER_ID_LEN, limits::MAX_USER_ID_LEN);
    assert_eq!(SW_MAX_DEVICE_EVENTS, 2 * limits::MAX_DEVICES_PER_USER);
    assert_eq!(SW_MAX_PREVIOUS_SESSIONS, limits::MAX_PREVIOUS_SESSIONS);
    assert_eq!(SW_RECOVERY_REQUEST_LEN, limits::RECOVERY_REQUEST_LEN);
    assert_eq!(SW_RECOVERY_INTERVAL_MS, limits::RECOVERY_INTERVAL_MS);
    assert_eq!(size_of::<sw_device_event_kind>(), 4);
    assert_eq!(size_of::<sw_recovery_action>(), 4);
    assert_eq!(sw_device_event_kind::SW_DEVICE_EVENT_ADDED as u32, 1);
    assert_eq!(sw_device_event_kind::SW_DEVICE_EVENT_REMOVED as u32, 2);
    assert_eq!(
        sw_device_event_kind::SW_DEVICE_EVENT_IDENTITY_CHANGED as u32,
        3
    );
    assert_eq!(sw_recovery_action::SW_RECOVERY_ACTION_NONE as u32, 0);
    assert_eq!(sw_recovery_action::SW_RECOVERY_ACTION_RESTART as u32, 1);
    assert_eq!(sw_recovery_action::SW_RECOVERY_ACTION_RESEND as u32, 2);
}

#[test]
fn structs_have_c_layout() {
    assert_eq!(
        (size_of::<sw_device_entry>(), align_of::<sw_device_entry>()),
        (36, 4)
    );
    assert_eq!(offset_of!(sw_device_entry, identity), 4);
    assert_eq!(
        (size_of::<sw_device_event>(), align_of::<sw_device_event>()),
        (72, 4)
    );
    assert_eq!(offset_of!(sw_device_event, device_id), 4);
    assert_eq!(offset_of!(sw_device_event, identity), 8);
    assert_eq!(offset_of!(sw_device_event, old_identity), 40);
    assert_eq!(size_of::<sw_device_identity>(), 65);
    assert_eq!(offset_of!(sw_device_identity, has_announced), 32);
    assert_eq!(offset_of!(sw_device_identity, announced), 33);
    assert_eq!(size_of::<sw_recovery_request_info>(), 112);
    assert_eq!(offset_of!(sw_recovery_request_info, counter), 96);
    assert_eq!(offset_of!(sw_recovery_request_info, requested_at_ms), 104);
    assert_eq!(size_of::<sw_device_address>(), 24);
    assert_eq!(offset_of!(sw_device_address, device_id), 16);
    assert_eq!(size_of::<sw_device_sessions_entry>(), 16);
    assert_eq!(offset_of!(sw_device_sessions_entry, sessions), 8);
    assert_eq!(size_of::<sw_recipient>(), 24);
    assert_eq!(size_of::<sw_device_failure>(), 16);
    assert_eq!(offset_of!(sw_device_failure, device_id), 4);
    assert_eq!(offset_of!(sw_device_failure, recipient_index), 8);
    assert_eq!(size_of::<sw_device_message_info>(), 24);
    assert_eq!(offset_of!(sw_device_message_info, device_id), 8);
    assert_eq!(offset_of!(sw_device_message_info, message_len), 16);
}

#[test]
fn every_device_error_has_its_code() {
    let a = DeviceAddress::new("bob", 1);
    let errors = [
        DeviceError::TooManyDevices,
        DeviceError::DuplicateDevice(1),
        DeviceError::UnknownDevice(1),
        DeviceError::NoPendingChange(1),
        DeviceError::UnconfirmedIdentity(a.clone()),
        DeviceError::NoSession(a.clone()),
        DeviceError::AuthenticationFailed,
        DeviceError::NotForUs,
        DeviceError::UnknownSession,
        DeviceError::ReplayedRequest,
        DeviceError::TooManyRequests,
    ];
    let mut seen = std::collections::BTreeSet::new();
    for (i, e) in errors.into_iter().enumerate() {
        let code = sw_result::from(e.clone());
        assert_eq!(code as u32, 900 + i as u32, "{e:?}");
        assert!(seen.insert(code as u32));
        assert_eq!(sw_result::from_u32(code as u32), Some(code));
    }
    let device_codes = sw_result::ALL
        .iter()
        .filter(|c| (900..1000).contains(&(**c as u32)))
        .count();
    assert_eq!(device_codes, seen.len());
    assert_eq!(
        sw_result::from(DeviceError::Malformed(DecodeError::TooLarge)),
        sw_result::SW_DECODE_TOO_LARGE
    );
    assert_eq!(
        sw_result::from(DeviceError::Session(a, SessionError::CounterOverflow)),
        sw_result::SW_SESSION_COUNTER_OVERFLOW
    );
    assert_eq!(
        sw_result::from(SessionError::NoSession),
        sw_result::SW_SESSION_NO_SESSION
    );
    assert_eq!(
        sw_result::from(SessionError::UntrustedIdentity),
        sw_result::SW_SESSION_UNTRUSTED_IDENTITY
    );
    assert_eq!(sw_result::SW_SESSION_NO_SESSION as u32, 217);
    assert_eq!(sw_result::SW_SESSION_UNTRUSTED_IDENTITY as u32, 218);
}

/// Three users (ourselves with three devices, two peers with two and one),
/// one call: one message per device but ours, in the order of the
/// recipients and by ascending device id; each decrypts on its device.
#[test]
fn one_call_one_message_per_device() {
    let me1 = Device::new(1);
    let me2 = Device::new(2);
    let me3 = Device::new(3);
    let p1 = Device::new(4);
    let p2 = Device::new(5);
    let q1 = Device::new(6);
    // Device ids deliberately out of order in the lists.
    let own = list("me", &[(9, &me3), (1, &me1), (4, &me2)]);
    let peer = list("peer", &[(7, &p2), (2, &p1)]);
    let other = list("other", &[(1, &q1)]);
    let targets: [(&Device, u32, usize); 5] = [
        (&p1, 2, 0),
        (&p2, 7, 0),
        (&q1, 1, 1),
        (&me2, 4, 2),
        (&me3, 9, 2),
    ];
    let ours: Vec<*mut sw_device_sessions> = targets.iter().map(|_| new_sessions()).collect();
    for (s, (d, _, _)) in ours.iter().zip(&targets) {
        me1.initiate(*s, d);
    }
    let entry = |i: usize| sw_device_sessions_entry {
        device_id: targets[i].1,
        sessions: ours[i],
    };
    let peer_entries = [entry(0), entry(1)];
    let other_entries = [entry(2)];
    let own_entries = [entry(4), entry(3)];
    let recipients = [
        sw_recipient {
            devices: peer,
            sessions: peer_entries.as_ptr(),
            sessions_len: 2,
        },
        sw_recipient {
            devices: other,
            sessions: other_entries.as_ptr(),
            sessions_len: 1,
        },
        sw_recipient {
            devices: own,
            sessions: own_entries.as_ptr(),
            sessions_len: 2,
        },
    ];
    let me = sw_device_address {
        user: b"me".as_ptr(),
        user_len: 2,
        device_id: 1,
    };
    let mut failure = MaybeUninit::<sw_device_failure>::uninit();
    let mut msgs = null_mut();
    // SAFETY: live handles, arrays with their lengths, valid out-parameters.
    unsafe {
        ok(sw_encrypt_for_devices(
            null_mut(),
            T0,
            sw_content_type::SW_CONTENT_USER_MESSAGE as u32,
            false,
            b"to all".as_ptr(),
            6,
            &me,
            recipients.as_ptr(),
            recipients.len(),
            failure.as_mut_ptr(),
            &mut msgs,
        ));
        assert!(!failure.assume_init().failed);
        let mut count = 0;
        ok(sw_device_messages_count(msgs, &mut count));
        assert_eq!(count, targets.len());
        for (i, (device, id, recipient)) in targets.iter().enumerate() {
            let mut info = MaybeUninit::<sw_device_message_info>::uninit();
            ok(sw_device_messages_info(msgs, i, info.as_mut_ptr()));
            let info = info.assume_init();
            assert_eq!((info.recipient_index, info.device_id), (*recipient, *id));
            let mut m = vec![0u8; info.message_len];
            let mut n = 0;
            ok(sw_device_messages_message(
                msgs,
                i,
                m.as_mut_ptr(),
                m.len(),
                &mut n,
            ));
            assert_eq!(n, m.len());
            let mut user = [0u8; 8];
            ok(sw_device_messages_user(
                msgs,
                i,
                user.as_mut_ptr(),
                8,
                &mut n,
            ));
            let want: &[u8] = [b"peer".as_slice(), b"other", b"me"][*recipient];
            assert_eq!(&user[..n], want);
            let theirs = new_sessions();
            let (plain, got) = device.decrypt(theirs, &me1.key, &m).unwrap();
            assert_eq!(plain, b"to all");
            assert_eq!(got.sender, me1.key);
            sw_device_sessions_free(theirs);
        }
        sw_device_messages_free(msgs);
        for s in ours {
            sw_device_sessions_free(s);
        }
        sw_device_list_free(own);
        sw_device_list_free(peer);
        sw_device_list_free(other);
    }
}

/// Both devices start a session with each other at once: after the prekey
/// messages cross, both converge on one session and talk both ways.
#[test]
fn simultaneous_initiation_converges() {
    let a = Device::new(11);
    let b = Device::new(12);
    let (sa, sb) = (new_sessions(), new_sessions());
    a.initiate(sa, &b);
    b.initiate(sb, &a);
    let ma = encrypt(sa, &b.key, b"from a");
    let mb = encrypt(sb, &a.key, b"from b");
    assert_eq!(a.decrypt(sa, &b.key, &mb).unwrap().0, b"from b");
    assert_eq!(b.decrypt(sb, &a.key, &ma).unwrap().0, b"from a");
    for round in 0..4u8 {
        let m = encrypt(sa, &b.key, &[round; 3]);
        assert_eq!(b.decrypt(sb, &a.key, &m).unwrap().0, [round; 3]);
        let m = encrypt(sb, &a.key, &[round; 4]);
        assert_eq!(a.decrypt(sa, &b.key, &m).unwrap().0, [round; 4]);
    }
    // Both sides now send in the same (established) session.
    let mut established = (false, false);
    let mut previous = (0, 0);
    // SAFETY: live handles, valid out-parameters.
    unsafe {
        ok(sw_device_sessions_is_established(sa, &mut established.0));
        ok(sw_device_sessions_is_established(sb, &mut established.1));
        ok(sw_device_sessions_previous_count(sa, &mut previous.0));
        ok(sw_device_sessions_previous_count(sb, &mut previous.1));
        sw_device_sessions_free(sa);
        sw_device_sessions_free(sb);
    }
    assert_eq!(established, (true, true));
    assert_eq!(previous, (1, 1));
}

/// Random and mutated recovery requests, messages, bundles, device list
/// entries and user ids: a result code every time, never a panic, never an
/// internal error; and a refused call changes nothing.
#[test]
fn hostile_bytes_give_codes() {
    use rand_core::Rng;

    let mut rng = DangerDeterministicRng::from_u64(900);
    let a = Device::new(21);
    let b = Device::new(22);
    let (sa, sb) = (new_sessions(), new_sessions());
    a.initiate(sa, &b);
    let hello = encrypt(sa, &b.key, b"hello");
    assert_eq!(b.decrypt(sb, &a.key, &hello).unwrap().0, b"hello");
    let reply = encrypt(sb, &a.key, b"reply");
    a.decrypt(sa, &b.key, &reply).unwrap();
    let lost = encrypt(sa, &b.key, b"lost");
    // Bob lost his state: his request for the lost message.
    let fresh = new_sessions();
    assert_eq!(
        b.decrypt(fresh, &a.key, &lost).err(),
        Some(sw_result::SW_SESSION_NO_SESSION)
    );
    let mut request = [0u8; SW_RECOVERY_REQUEST_LEN];
    let mut n = 0;
    // SAFETY: live handles, buffers with their lengths.
    ok(unsafe {
        sw_device_sessions_recovery_request(
            fresh,
            b.id,
            a.key.as_ptr(),
            32,
            T0,
            lost.as_ptr(),
            lost.len(),
            request.as_mut_ptr(),
            request.len(),
            &mut n,
        )
    });
    assert_eq!(
        (request[0], request[1]),
        (RECOVERY_VERSION, TYPE_RECOVERY_REQUEST)
    );

    let mut action = MaybeUninit::<sw_recovery_action>::uninit();
    let mut counter = 0u32;
    let mut info = MaybeUninit::<sw_recovery_request_info>::uninit();
    let valid: Vec<Vec<u8>> = vec![
        request.to_vec(),
        hello.clone(),
        reply.clone(),
        lost.clone(),
        b.bundle(),
    ];
    let mut codes = std::collections::BTreeSet::new();
    for round in 0..2000 {
        let base = &valid[round % valid.len()];
        let mut bytes = base.clone();
        match round % 4 {
            0 => {
                let len = (rng.next_u32() as usize) % (base.len() + 8);
                bytes = vec![0u8; len];
                rng.fill_bytes(&mut bytes);
            }
            1 => {
                let i = (rng.next_u32() as usize) % bytes.len();
                bytes[i] ^= 1 << (rng.next_u32() % 8);
            }
            2 => bytes.truncate((rng.next_u32() as usize) % bytes.len()),
            _ => {
                let i = (rng.next_u32() as usize) % bytes.len();
                bytes[i] = rng.next_u32() as u8;
                bytes.push(rng.next_u32() as u8);
            }
        }
        // SAFETY: live handles, buffers with their lengths, valid
        // out-parameters.
        unsafe {
            let rc = sw_recovery_request_parse(bytes.as_ptr(), bytes.len(), info.as_mut_ptr());
            clean(rc);
            let rc = sw_device_sessions_accept_recovery_request(
                sa,
                a.id,
                b.key.as_ptr(),
                32,
                T0,
                bytes.as_ptr(),
                bytes.len(),
                action.as_mut_ptr(),
                &mut counter,
            );
            clean(rc);
            assert_ne!(rc, sw_result::SW_OK, "a mutated request was accepted");
            codes.insert(rc as u32);
            assert_eq!(
                action.assume_init(),
                sw_recovery_action::SW_RECOVERY_ACTION_NONE
            );
            if bytes != hello && bytes != reply {
                let rc = b.decrypt(sb, &a.key, &bytes).err();
                clean(rc.unwrap_or(sw_result::SW_OK));
                let rc = sw_device_sessions_initiate(
                    null_mut(),
                    fresh,
                    a.id,
                    b.key.as_ptr(),
                    32,
                    bytes.as_ptr(),
                    bytes.len(),
                );
                clean(rc);
            }
            let entries: Vec<sw_device_entry> = bytes
                .chunks_exact(36)
                .map(|c| sw_device_entry {
                    device_id: u32::from_le_bytes(c[..4].try_into().unwrap()),
                    identity: c[4..].try_into().unwrap(),
                })
                .collect();
            let l = list("x", &[]);
            let mut events = [MaybeUninit::<sw_device_event>::uninit(); SW_MAX_DEVICE_EVENTS];
            clean(sw_device_list_update(
                l,
                entries.as_ptr(),
                entries.len(),
                events.as_mut_ptr().cast(),
                events.len(),
                &mut n,
            ));
            sw_device_list_free(l);
            let mut l = null_mut();
            let rc = sw_device_list_new(bytes.as_ptr(), bytes.len(), &mut l);
            clean(rc);
            assert_eq!(rc == sw_result::SW_OK, !l.is_null());
            sw_device_list_free(l);
        }
    }
    // Refusals of several kinds were seen (decode errors and signatures).
    assert!(codes.contains(&(sw_result::SW_RECOVERY_AUTHENTICATION_FAILED as u32)));
    assert!(codes.contains(&(sw_result::SW_DECODE_TRUNCATED as u32)));
    // Nothing changed: the genuine request is still accepted, and the
    // conversation carries on.
    // SAFETY: live handles, buffers with their lengths, valid out-parameters.
    unsafe {
        ok(sw_device_sessions_accept_recovery_request(
            sa,
            a.id,
            b.key.as_ptr(),
            32,
            T0,
            request.as_ptr(),
            request.len(),
            action.as_mut_ptr(),
            &mut counter,
        ));
        assert_eq!(
            action.assume_init(),
            sw_recovery_action::SW_RECOVERY_ACTION_RESTART
        );
        assert_eq!(counter, 0); // the first message of its chain
    }
    let m = encrypt(sb, &a.key, b"still here");
    assert_eq!(a.decrypt(sa, &b.key, &m).unwrap().0, b"still here");
    // SAFETY: handles made above, freed once.
    unsafe {
        sw_device_sessions_free(sa);
        sw_device_sessions_free(sb);
        sw_device_sessions_free(fresh);
    }
}

// ---- Saved state ----

/// The frozen fixtures of the core (`tests/fixtures/`).
fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name);
    let read = std::fs::read(&path);
    assert!(read.is_ok(), "{}: {read:?}", path.display());
    read.unwrap()
}

/// The storage key of the core's sealed fixtures.
const FIXTURE_KEY: [u8; 32] = [0x42; 32];

/// A `_save` export.
type SaveFn<H> = unsafe extern "C" fn(*const H, *mut u8, usize, *mut usize) -> sw_result;
/// A `_load` export.
type LoadFn<H> = unsafe extern "C" fn(*const u8, usize, *mut *mut H) -> sw_result;
/// A `_load_sealed` export.
type LoadSealedFn<H> = unsafe extern "C" fn(
    *const u8,
    usize,
    *const sw_blob_address,
    *const u8,
    usize,
    *mut *mut H,
) -> sw_result;

/// The plain blob of `h`: a size query, then a buffer one byte short
/// (refused, left untouched, the length needed stored), then the blob.
fn saved<H>(save: SaveFn<H>, h: *const H) -> Vec<u8> {
    let mut n = 0;
    // SAFETY: a live handle, a size query, a valid out-parameter.
    let rc = unsafe { save(h, null_mut(), 0, &mut n) };
    assert_eq!(rc, sw_result::SW_BUFFER_TOO_SMALL);
    let need = n;
    let mut buf = vec![0xa5u8; need];
    // SAFETY: a buffer of `need - 1` bytes.
    let rc = unsafe { save(h, buf.as_mut_ptr(), need - 1, &mut n) };
    assert_eq!(rc, sw_result::SW_BUFFER_TOO_SMALL);
    assert_eq!(n, need);
    assert!(buf.iter().all(|b| *b == 0xa5), "a refused save wrote");
    // SAFETY: a buffer of `need` bytes.
    ok(unsafe { save(h, buf.as_mut_ptr(), need, &mut n) });
    assert_eq!(n, need);
    buf
}

/// Loads `bytes` with `load`; the handle, or the code (the out handle then
/// NULL).
fn loaded<H>(load: LoadFn<H>, bytes: &[u8]) -> Result<*mut H, sw_result> {
    let mut h = std::ptr::dangling_mut::<H>();
    // SAFETY: a buffer with its length, a valid out-parameter.
    let rc = unsafe { load(bytes.as_ptr(), bytes.len(), &mut h) };
    if rc == sw_result::SW_OK {
        assert!(!h.is_null());
        Ok(h)
    } else {
        assert!(h.is_null(), "{rc:?} left a handle");
        Err(rc)
    }
}

/// As [`loaded`], sealed under `key` for `address`.
fn loaded_sealed<H>(
    load: LoadSealedFn<H>,
    key: &[u8; 32],
    address: &sw_blob_address,
    bytes: &[u8],
) -> Result<*mut H, sw_result> {
    let mut h = std::ptr::dangling_mut::<H>();
    // SAFETY: buffers with their lengths, a valid address and out-parameter.
    let rc = unsafe {
        load(
            key.as_ptr(),
            32,
            address,
            bytes.as_ptr(),
            bytes.len(),
            &mut h,
        )
    };
    if rc == sw_result::SW_OK {
        assert!(!h.is_null());
        Ok(h)
    } else {
        assert!(h.is_null(), "{rc:?} left a handle");
        Err(rc)
    }
}

/// An address: our key, the app's name for the peer, a device id (or
/// none), a context. The strings are `'static`: the struct points into
/// them.
fn address(
    owner: &[u8; 32],
    name: &'static [u8],
    device: Option<u32>,
    context: &'static [u8],
) -> sw_blob_address {
    sw_blob_address {
        owner: *owner,
        has_peer_identity: false,
        peer_identity: [0; 32],
        peer_name: name.as_ptr(),
        peer_name_len: name.len(),
        has_device_id: device.is_some(),
        device_id: device.unwrap_or(0),
        context: context.as_ptr(),
        context_len: context.len(),
    }
}

fn save_sessions(s: *const sw_device_sessions) -> Vec<u8> {
    saved(sw_device_sessions_save, s)
}

fn save_list(l: *const sw_device_list) -> Vec<u8> {
    saved(sw_device_list_save, l)
}

/// The core's frozen device fixtures (STORAGE.md §8) load through the C
/// ABI, plain and sealed at their rows, and save again to the same bytes
/// (device sessions at v2, whose records are at session v5: the same body,
/// since these sessions hold no PQXDH responder's fields).
#[test]
fn frozen_device_fixtures_load_and_resave_unchanged() {
    use sealwire::IdentityKeyPair;
    // The owner of the fixtures: Bob of the core's `device_fixtures(0xd1)`
    // (tests/persistence.rs), the second identity drawn from its
    // generator.
    let mut rng = DangerDeterministicRng::from_u64(0xd1);
    let _alice = IdentityKeyPair::generate(&mut rng);
    let bob = *IdentityKeyPair::generate(&mut rng).public().as_bytes();
    let sessions_at = address(&bob, b"alice", Some(1), b"sessions");
    let list_at = address(&bob, b"alice@example.org", None, b"device_lists");

    for name in ["device_sessions.bin", "device_sessions_restarted.bin"] {
        let bytes = fixture(&format!("devices_v1/{name}"));
        let s = loaded(sw_device_sessions_load, &bytes).unwrap();
        assert_eq!(save_sessions(s), at_v2(&bytes), "{name}");
        // SAFETY: a handle made above, freed once.
        unsafe { sw_device_sessions_free(s) };
        assert_eq!(
            loaded(sw_device_list_load, &bytes).err(),
            Some(sw_result::SW_STATE_WRONG_KIND)
        );
        assert_eq!(
            loaded(sw_session_load, &bytes).err(),
            Some(sw_result::SW_STATE_WRONG_KIND)
        );
    }
    let plain = fixture("devices_v1/device_sessions.bin");
    let sealed = fixture("devices_v1/device_sessions.sealed.bin");
    let s = loaded_sealed(
        sw_device_sessions_load_sealed,
        &FIXTURE_KEY,
        &sessions_at,
        &sealed,
    )
    .unwrap();
    assert_eq!(save_sessions(s), at_v2(&plain));
    let (mut current, mut established, mut previous) = (false, false, 0);
    // SAFETY: a live handle, valid out-parameters; freed once.
    unsafe {
        ok(sw_device_sessions_has_current(s, &mut current));
        ok(sw_device_sessions_is_established(s, &mut established));
        ok(sw_device_sessions_previous_count(s, &mut previous));
        sw_device_sessions_free(s);
    }
    // A pending current session and three previous ones.
    assert_eq!((current, established, previous), (true, false, 3));
    assert_eq!(
        loaded_sealed(
            sw_device_sessions_load_sealed,
            &FIXTURE_KEY,
            &list_at,
            &sealed
        )
        .err(),
        Some(sw_result::SW_STATE_WRONG_ADDRESS)
    );

    let plain = fixture("devices_v1/device_list.bin");
    let sealed = fixture("devices_v1/device_list.sealed.bin");
    for l in [
        loaded(sw_device_list_load, &plain).unwrap(),
        loaded_sealed(sw_device_list_load_sealed, &FIXTURE_KEY, &list_at, &sealed).unwrap(),
    ] {
        assert_eq!(save_list(l), plain);
        let mut ids = [0u32; 4];
        let mut n = 0;
        let mut who = MaybeUninit::<sw_device_identity>::uninit();
        let mut found = false;
        let mut user = [0u8; 32];
        // SAFETY: a live handle, buffers with their lengths, valid
        // out-parameters; freed once.
        unsafe {
            ok(sw_device_list_device_ids(l, ids.as_mut_ptr(), 4, &mut n));
            assert_eq!(&ids[..n], [1, 2, 7]);
            ok(sw_device_list_identity(l, 2, who.as_mut_ptr(), &mut found));
            assert!(found && who.assume_init().has_announced);
            ok(sw_device_list_user(l, user.as_mut_ptr(), 32, &mut n));
            assert_eq!(&user[..n], b"alice@example.org");
            sw_device_list_free(l);
        }
    }
    assert_eq!(
        loaded_sealed(
            sw_device_list_load_sealed,
            &FIXTURE_KEY,
            &sessions_at,
            &sealed
        )
        .err(),
        Some(sw_result::SW_STATE_WRONG_ADDRESS)
    );
    assert_eq!(
        loaded_sealed(
            sw_device_sessions_load_sealed,
            &FIXTURE_KEY,
            &list_at,
            &sealed
        )
        .err(),
        Some(sw_result::SW_STATE_WRONG_KIND)
    );
}

/// The migration path (STORAGE.md §7, §11): the core's frozen
/// single-session blobs of every version, plain and legacy sealed, load as
/// device sessions holding that session as the current one, and save as
/// the core saves `DeviceSessions::from(record)`.
#[test]
fn single_session_blobs_of_every_version_load_as_device_sessions() {
    use sealwire::SessionRecord;
    use sealwire::devices::DeviceSessions;
    use sealwire::persist::{StateBlob, StorageKey};

    for name in [
        "state_v1/session.bin",
        "state_v1/pending.bin",
        "state_v2/session.bin",
        "state_v2/pending.bin",
        "state_v3/session_x3dh_initiator.bin",
        "state_v3/session_x3dh_responder.bin",
        "state_v3/session_pqxdh_initiator.bin",
        "state_v3/session_pqxdh_responder.bin",
        "state_v3/session_unrecorded.bin",
        "state_v4/session_unanswered.bin",
        "state_v4/session_initiator.bin",
        "state_v4/pending.bin",
    ] {
        let bytes = fixture(name);
        let record = SessionRecord::from_blob(&bytes).unwrap();
        let want = DeviceSessions::from(record.clone()).to_blob().to_vec();
        let s = loaded(sw_device_sessions_load, &bytes).unwrap();
        let resaved = save_sessions(s);
        assert_eq!(resaved, want, "{name}");
        assert_eq!(resaved[4], 0x07, "{name}");
        let (mut current, mut established, mut previous) = (false, false, 9);
        let mut peer = [0u8; 32];
        let mut n = 0;
        // SAFETY: a live handle, buffers with their lengths, valid
        // out-parameters; freed once.
        unsafe {
            ok(sw_device_sessions_has_current(s, &mut current));
            ok(sw_device_sessions_is_established(s, &mut established));
            ok(sw_device_sessions_previous_count(s, &mut previous));
            ok(sw_device_sessions_their_identity(
                s,
                peer.as_mut_ptr(),
                32,
                &mut n,
            ));
            sw_device_sessions_free(s);
        }
        assert_eq!(
            (current, established, previous),
            (true, record.is_established(), 0),
            "{name}"
        );
        assert_eq!(&peer, record.their_identity().as_bytes(), "{name}");
        // A single session is no device list.
        assert_eq!(
            loaded(sw_device_list_load, &bytes).err(),
            Some(sw_result::SW_STATE_WRONG_KIND)
        );
    }

    let key = StorageKey::from_bytes(FIXTURE_KEY);
    // Any address: legacy blobs are bound to none.
    let owner = *sealwire::IdentityKeyPair::from_seed(&[0x11; 32])
        .public()
        .as_bytes();
    let anywhere = address(&owner, b"bob", Some(1), b"sessions");
    for name in [
        "state_v1/session.sealed.bin",
        "state_v2/session.sealed.bin",
        "state_v3/session_pqxdh_initiator.sealed.bin",
    ] {
        let bytes = fixture(name);
        let record = SessionRecord::open_unbound_legacy(&key, &bytes).unwrap();
        let mut s = null_mut();
        // SAFETY: buffers with their lengths, a valid out-parameter.
        ok(unsafe {
            sw_device_sessions_load_sealed_legacy(
                FIXTURE_KEY.as_ptr(),
                32,
                bytes.as_ptr(),
                bytes.len(),
                &mut s,
            )
        });
        assert_eq!(
            save_sessions(s),
            DeviceSessions::from(record).to_blob().to_vec(),
            "{name}"
        );
        // SAFETY: a handle made above, freed once.
        unsafe { sw_device_sessions_free(s) };
        let mut s = std::ptr::dangling_mut();
        // SAFETY: buffers with their lengths, a valid out-parameter.
        let rc = unsafe {
            sw_device_sessions_load_sealed_legacy(
                [0x43; 32].as_ptr(),
                32,
                bytes.as_ptr(),
                bytes.len(),
                &mut s,
            )
        };
        assert_eq!(rc, sw_result::SW_STATE_WRONG_STORAGE_KEY);
        assert!(s.is_null());
        assert_eq!(
            loaded_sealed(
                sw_device_sessions_load_sealed,
                &FIXTURE_KEY,
                &anywhere,
                &bytes
            )
            .err(),
            Some(sw_result::SW_STATE_UNBOUND_LEGACY),
            "{name}"
        );
    }
}

/// A plain blob around `body` (kind and version of `like`), with its
/// checksum (STORAGE.md §1): so that a hostile body reaches the parsers.
/// A device-sessions v1 blob as it saves now: v2, the same body (for
/// sessions without a PQXDH responder's fields).
fn at_v2(v1: &[u8]) -> Vec<u8> {
    assert_eq!(v1[4..6], [0x07, 1]);
    let mut like = v1[..6].to_vec();
    like[5] = 2;
    with_checksum(&like, &v1[6..v1.len() - 16])
}

fn with_checksum(like: &[u8], body: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    let mut b = like[..6].to_vec();
    b.extend_from_slice(body);
    let sum = sha2::Sha256::digest(&b);
    b.extend_from_slice(&sum[..16]);
    b
}

/// Uses sessions loaded from a hostile blob that the format allows: every
/// call gives a result code, never a panic or an internal error.
fn use_hostile_sessions(s: *mut sw_device_sessions, a: &Device, b: &Device, hello: &[u8]) {
    let mut buf = vec![0u8; 8192];
    let mut n = 0;
    let mut info = MaybeUninit::<sw_received_info>::uninit();
    let mut flag = false;
    // SAFETY: live handles, buffers with their lengths, valid
    // out-parameters.
    unsafe {
        clean(sw_device_sessions_encrypt(
            null_mut(),
            s,
            T0,
            b.key.as_ptr(),
            32,
            sw_content_type::SW_CONTENT_USER_MESSAGE as u32,
            false,
            b"x".as_ptr(),
            1,
            buf.as_mut_ptr(),
            buf.len(),
            &mut n,
        ));
        clean(sw_device_sessions_decrypt(
            s,
            b.id,
            b.prekeys,
            a.key.as_ptr(),
            32,
            T0,
            hello.as_ptr(),
            hello.len(),
            buf.as_mut_ptr(),
            buf.len(),
            &mut n,
            info.as_mut_ptr(),
        ));
        clean(sw_device_sessions_recovery_request(
            s,
            b.id,
            a.key.as_ptr(),
            32,
            T0,
            hello.as_ptr(),
            hello.len(),
            buf.as_mut_ptr(),
            buf.len(),
            &mut n,
        ));
        clean(sw_device_sessions_their_identity(
            s,
            buf.as_mut_ptr(),
            32,
            &mut n,
        ));
        clean(sw_device_sessions_is_established(s, &mut flag));
    }
}

/// Uses a device list loaded from a hostile blob that the format allows:
/// every call gives a result code, never a panic or an internal error.
fn use_hostile_list(l: *mut sw_device_list, b: &Device) {
    let mut ids = [0u32; SW_MAX_DEVICES_PER_USER];
    let mut n = 0;
    let mut who = MaybeUninit::<sw_device_identity>::uninit();
    let mut found = false;
    let mut events = [MaybeUninit::<sw_device_event>::uninit(); SW_MAX_DEVICE_EVENTS];
    let s = new_sessions();
    // SAFETY: live handles, buffers with their lengths, valid
    // out-parameters.
    unsafe {
        ok(sw_device_list_device_ids(
            l,
            ids.as_mut_ptr(),
            ids.len(),
            &mut n,
        ));
        for id in &ids[..n] {
            ok(sw_device_list_identity(
                l,
                *id,
                who.as_mut_ptr(),
                &mut found,
            ));
            assert!(found);
            clean(sw_device_list_confirm_identity(l, *id, b.key.as_ptr(), 32));
        }
        // A send to every device: none has a session.
        let entries: Vec<sw_device_sessions_entry> = ids[..n]
            .iter()
            .take(1)
            .map(|id| sw_device_sessions_entry {
                device_id: *id,
                sessions: s,
            })
            .collect();
        let recipients = [sw_recipient {
            devices: l,
            sessions: entries.as_ptr(),
            sessions_len: entries.len(),
        }];
        let me = sw_device_address {
            user: b"me".as_ptr(),
            user_len: 2,
            device_id: 1,
        };
        let mut failure = MaybeUninit::<sw_device_failure>::uninit();
        let mut msgs = null_mut();
        clean(sw_encrypt_for_devices(
            null_mut(),
            T0,
            sw_content_type::SW_CONTENT_USER_MESSAGE as u32,
            false,
            b"x".as_ptr(),
            1,
            &me,
            recipients.as_ptr(),
            1,
            failure.as_mut_ptr(),
            &mut msgs,
        ));
        sw_device_messages_free(msgs);
        let entry = sw_device_entry {
            device_id: 3,
            identity: b.key,
        };
        clean(sw_device_list_update(
            l,
            &entry,
            1,
            events.as_mut_ptr().cast(),
            events.len(),
            &mut n,
        ));
        sw_device_sessions_free(s);
    }
}

/// Random and mutated device blobs, plain (also with the checksum rebuilt,
/// so that the body parsers are reached) and sealed, into every loader: a
/// result code every time, never a panic or an internal error; what loads
/// saves again and loads to the same bytes.
#[test]
fn hostile_device_blobs_give_codes() {
    use rand_core::Rng;

    let mut rng = DangerDeterministicRng::from_u64(0x5a7e);
    let key = [0x42u8; 32];
    let owner = *sealwire::IdentityKeyPair::from_seed(&[0x12; 32])
        .public()
        .as_bytes();
    let sessions_at = address(&owner, b"alice", Some(1), b"sessions");
    let list_at = address(&owner, b"alice", None, b"device_lists");
    // Valid blobs: the core's fixtures and fresh ones (a conversation, a
    // list with an announced key).
    let a = Device::new(31);
    let b = Device::new(32);
    let (sa, sb) = (new_sessions(), new_sessions());
    a.initiate(sa, &b);
    let hello = encrypt(sa, &b.key, b"hello");
    b.decrypt(sb, &a.key, &hello).unwrap();
    let reply = encrypt(sb, &a.key, b"reply");
    a.decrypt(sa, &b.key, &reply).unwrap();
    let l = list("alice", &[(1, &a), (4, &b)]);
    let entries = [
        sw_device_entry {
            device_id: 1,
            identity: b.key,
        },
        sw_device_entry {
            device_id: 4,
            identity: b.key,
        },
    ];
    let mut events = [MaybeUninit::<sw_device_event>::uninit(); SW_MAX_DEVICE_EVENTS];
    let mut n = 0;
    let sealed = |save: &dyn Fn(*mut u8, usize, *mut usize) -> sw_result| {
        let mut buf = vec![0u8; 1 << 16];
        let mut n = 0;
        ok(save(buf.as_mut_ptr(), buf.len(), &mut n));
        buf.truncate(n);
        buf
    };
    // SAFETY: live handles, buffers with their lengths, valid
    // out-parameters.
    let (list_sealed, sessions_sealed) = unsafe {
        ok(sw_device_list_update(
            l,
            entries.as_ptr(),
            2,
            events.as_mut_ptr().cast(),
            events.len(),
            &mut n,
        ));
        assert_eq!(n, 1); // device 1 announces b's key
        (
            sealed(&|buf, len, n| {
                sw_device_list_save_sealed(null_mut(), l, key.as_ptr(), 32, &list_at, buf, len, n)
            }),
            sealed(&|buf, len, n| {
                sw_device_sessions_save_sealed(
                    null_mut(),
                    sa,
                    key.as_ptr(),
                    32,
                    &sessions_at,
                    buf,
                    len,
                    n,
                )
            }),
        )
    };
    let plain: Vec<Vec<u8>> = vec![
        save_sessions(sa),
        save_sessions(sb),
        save_list(l),
        fixture("devices_v1/device_sessions.bin"),
        fixture("devices_v1/device_sessions_restarted.bin"),
        fixture("devices_v1/device_list.bin"),
        fixture("state_v4/session_initiator.bin"),
    ];
    let sealed = [list_sealed, sessions_sealed];
    // SAFETY: handles made above, freed once.
    unsafe {
        sw_device_sessions_free(sa);
        sw_device_sessions_free(sb);
        sw_device_list_free(l);
    }

    let mut codes = std::collections::BTreeSet::new();
    let mut loads = 0;
    let mut try_all = |bytes: &[u8]| {
        let results = [
            loaded(sw_device_sessions_load, bytes).map(|s| (Some(s), None)),
            loaded_sealed(sw_device_sessions_load_sealed, &key, &sessions_at, bytes)
                .map(|s| (Some(s), None)),
            loaded(sw_device_list_load, bytes).map(|l| (None, Some(l))),
            loaded_sealed(sw_device_list_load_sealed, &key, &list_at, bytes)
                .map(|l| (None, Some(l))),
        ];
        let mut legacy = std::ptr::dangling_mut();
        // SAFETY: buffers with their lengths, a valid out-parameter.
        let rc = unsafe {
            sw_device_sessions_load_sealed_legacy(
                key.as_ptr(),
                32,
                bytes.as_ptr(),
                bytes.len(),
                &mut legacy,
            )
        };
        clean(rc);
        assert_ne!(rc, sw_result::SW_OK); // no legacy blob among the inputs
        assert!(legacy.is_null());
        for r in results {
            match r {
                Err(rc) => {
                    clean(rc);
                    codes.insert(rc as u32);
                }
                // A mutation the format allows (a bit of a time, a key
                // or a counter, behind a rebuilt checksum): it saves
                // canonically.
                Ok((Some(s), _)) => {
                    loads += 1;
                    use_hostile_sessions(s, &a, &b, &hello);
                    let again = save_sessions(s);
                    let s2 = loaded(sw_device_sessions_load, &again).unwrap();
                    assert_eq!(save_sessions(s2), again);
                    // SAFETY: handles made above, freed once.
                    unsafe {
                        sw_device_sessions_free(s);
                        sw_device_sessions_free(s2);
                    }
                }
                Ok((_, Some(l))) => {
                    loads += 1;
                    use_hostile_list(l, &b);
                    let again = save_list(l);
                    let l2 = loaded(sw_device_list_load, &again).unwrap();
                    assert_eq!(save_list(l2), again);
                    // SAFETY: handles made above, freed once.
                    unsafe {
                        sw_device_list_free(l);
                        sw_device_list_free(l2);
                    }
                }
                Ok((None, None)) => unreachable!(),
            }
        }
    };

    for round in 0..3000usize {
        let r = rng.next_u32() as usize;
        let bytes: Vec<u8> = match round % 5 {
            // Random bytes, some behind a plausible header.
            0 => {
                let mut v = vec![0u8; r % 600];
                rng.fill_bytes(&mut v);
                if round % 2 == 0 && v.len() >= 22 {
                    let like = &plain[r % plain.len()];
                    v = with_checksum(like, &v[6..v.len() - 16]);
                }
                v
            }
            // A plain blob with a bit flipped, or cut short.
            1 => {
                let mut v = plain[r % plain.len()].clone();
                let i = rng.next_u32() as usize % v.len();
                if round % 2 == 0 {
                    v[i] ^= 1 << (rng.next_u32() % 8);
                } else {
                    v.truncate(i);
                }
                v
            }
            // A sealed blob with a bit flipped, or cut short.
            2 => {
                let mut v = sealed[r % sealed.len()].clone();
                let i = rng.next_u32() as usize % v.len();
                if round % 2 == 0 {
                    v[i] ^= 1 << (rng.next_u32() % 8);
                } else {
                    v.truncate(i);
                }
                v
            }
            // A body with bits flipped or bytes changed, behind a valid
            // checksum: the body parsers decide.
            3 => {
                let like = &plain[r % plain.len()];
                let mut body = like[6..like.len() - 16].to_vec();
                for _ in 0..1 + rng.next_u32() % 3 {
                    let i = rng.next_u32() as usize % body.len();
                    if rng.next_u32().is_multiple_of(2) {
                        body[i] ^= 1 << (rng.next_u32() % 8);
                    } else {
                        body[i] = rng.next_u32() as u8;
                    }
                }
                with_checksum(like, &body)
            }
            // A body cut short or lengthened, behind a valid checksum.
            _ => {
                let like = &plain[r % plain.len()];
                let mut body = like[6..like.len() - 16].to_vec();
                if round % 2 == 0 {
                    body.truncate(rng.next_u32() as usize % body.len());
                } else {
                    body.push(rng.next_u32() as u8);
                }
                with_checksum(like, &body)
            }
        };
        try_all(&bytes);
    }
    // Each layer refused something: the envelope, the seal, the body.
    for code in [
        sw_result::SW_STATE_NOT_A_STATE_BLOB,
        sw_result::SW_STATE_WRONG_KIND,
        sw_result::SW_STATE_CORRUPTED,
        sw_result::SW_STATE_SEALED,
        sw_result::SW_STATE_NOT_SEALED,
        sw_result::SW_STATE_MALFORMED,
        sw_result::SW_STATE_TRUNCATED,
        sw_result::SW_STATE_UNSUPPORTED_VERSION,
        sw_result::SW_STATE_WRONG_STORAGE_KEY,
        sw_result::SW_STATE_WRONG_ADDRESS,
    ] {
        assert!(
            codes.contains(&(code as u32)),
            "never saw {code:?}: {codes:?}"
        );
    }
    // And some mutations behind a rebuilt checksum were well-formed (a
    // bit of a time or a key): they loaded and saved canonically.
    assert!(loads > 0);
}

/// Hostile bodies built by hand, each behind a valid checksum: the rules
/// of STORAGE.md §11 and §12 hold at the C boundary
/// (`SW_STATE_MALFORMED`).
#[test]
fn device_blob_rules_hold_at_the_boundary() {
    let sessions = fixture("devices_v1/device_sessions_restarted.bin");
    let list = fixture("devices_v1/device_list.bin");
    let malformed = |like: &[u8], body: &[u8]| {
        let bytes = with_checksum(like, body);
        let rc = if like[4] == 0x07 {
            loaded(sw_device_sessions_load, &bytes).err()
        } else {
            loaded(sw_device_list_load, &bytes).err()
        };
        assert_eq!(rc, Some(sw_result::SW_STATE_MALFORMED), "{body:02x?}");
    };
    // Device sessions: a current flag of 2; 41 previous sessions; a
    // nested device-sessions record; a record longer than what is left;
    // a time flag of 2; a trailing byte. (The restarted fixture has no
    // current session: its body starts `00 | previous_count`.)
    let body = &sessions[6..sessions.len() - 16];
    assert_eq!(body[0], 0);
    malformed(&sessions, &[&[2u8][..], &body[1..]].concat());
    malformed(&sessions, &[&[0u8, 41][..], &body[2..]].concat());
    malformed(&sessions, &[0, 1, 0x07, 0, 0, 0, 0, 0, 0, 0]);
    malformed(&sessions, &[0, 1, 0x03, 0xff, 0xff, 0xff, 0xff]);
    malformed(&sessions, &[0, 0, 2, 0, 0]);
    malformed(&sessions, &[body, &[0u8][..]].concat());
    // Device lists: 33 devices; a user id that is not UTF-8; device ids
    // not increasing; an announced key equal to the confirmed one; a
    // trailing byte.
    let body = &list[6..list.len() - 16];
    malformed(&list, &[0, 33]);
    malformed(&list, &[2, 0xc3, 0x28, 0]);
    // The first device's identity as the fixture stores it (Ed25519, then
    // its X25519 form): after the user id, the count and the device id.
    let at = 1 + usize::from(body[0]) + 1 + 4;
    let key64 = body[at..at + 64].to_vec();
    let device = |id: u32, announced: Option<&[u8]>| {
        let mut d = id.to_be_bytes().to_vec();
        d.extend_from_slice(&key64);
        match announced {
            Some(k) => {
                d.push(1);
                d.extend_from_slice(k);
            }
            None => d.push(0),
        }
        d
    };
    malformed(
        &list,
        &[&[0u8, 2][..], &device(5, None), &device(5, None)].concat(),
    );
    malformed(
        &list,
        &[&[0u8, 2][..], &device(6, None), &device(5, None)].concat(),
    );
    malformed(&list, &[&[0u8, 1][..], &device(5, Some(&key64))].concat());
    malformed(&list, &[body, &[0u8][..]].concat());
    // And the well-formed ones load.
    let ok_list = with_checksum(&list, &[&[0u8, 1][..], &device(5, None)].concat());
    let l = loaded(sw_device_list_load, &ok_list).unwrap();
    assert_eq!(save_list(l), ok_list);
    let empty = with_checksum(&sessions, &[0, 0, 0, 0, 0]);
    let s = loaded(sw_device_sessions_load, &empty).unwrap();
    assert_eq!(save_sessions(s), at_v2(&empty));
    // SAFETY: handles made above, freed once.
    unsafe {
        sw_device_list_free(l);
        sw_device_sessions_free(s);
    }
}
