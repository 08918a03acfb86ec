//! Devices at the C boundary: the constants and layouts agree with the
//! library and the header, every `DeviceError` has its own code, a
//! multi-device send through the C ABI decrypts on every device in the
//! order documented, simultaneous initiation converges, and hostile bytes
//! into every function that parses a recovery request, a message, a bundle
//! or a device list give result codes, never a panic or an internal error.

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
            ok(sw_prekey_store_new(id, null_mut(), &mut prekeys));
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
                s,
                null_mut(),
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
            s,
            null_mut(),
            T0,
            peer.as_ptr(),
            32,
            sw_content_type::SW_CONTENT_USER_MESSAGE as u32,
            0,
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
            0,
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
                    fresh,
                    null_mut(),
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
