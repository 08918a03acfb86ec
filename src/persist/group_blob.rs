//! Group blob body (kind 0x06, v1 to v3, STORAGE.md §10): a group
//! member's, a channel owner's or a channel subscriber's whole state.
//!
//! ```text
//! role u8 (0x01 member, 0x02 owner, 0x03 subscriber) | group_id 16
//! | me (identity 64) | [owner (identity 64), subscriber only]
//! | timer (mode u8 | ttl_secs u32 | version u64) | highest_timer_version u64
//!   (v1, v2: both versions u32)
//! | rotation_max_posts u32 | rotation_max_age_ms u64
//! | v2 only: max_skipped_key_age_ms u64
//! | member_count u32 | member_count x identity 64 (increasing)
//! | own u8 0|1 [chain_id u32 | iteration u32 | chain_key 32 | signing_seed 32
//!               | created_at u64 | holder_count u32 | holder_count x ed25519 32]
//! | sender_count u32 | sender_count x (
//!     identity 64 | chain_count u8 (1..=5)
//!     | chain_count x (chain_id u32 | next u32 | chain_key 32 | signing_key 32
//!                     | v2 only: superseded u8 0|1 [superseded_at u64])
//!     | skipped_count u32 | skipped_count x (chain_id u32 | iteration u32 | key 32
//!                                            | v2 only: skipped_at u64)
//!     | evicted_count u32 | evicted_count x (chain_id u32 | iteration u32))
//! identity (64): ed25519 public 32 | its x25519 form 32
//! ```
//!
//! In v2, `superseded` is 1 for every chain but the last (the newest) and 0
//! for the last. A v1 blob carries no times: it loads with every skipped
//! key skipped at 0 and every chain but the newest superseded at 0, so the
//! next erasure (or receive) erases them, and with the default maximum age.

use alloc::collections::BTreeMap;

use zeroize::Zeroizing;

use super::private::Codec;
use super::{BlobKind, StateBlob, StoredKeys, read_identity, write_identity};
use crate::blob_writer::BlobWriter;
use crate::error::{DecodeError, StateError};
use crate::frame::{read_timer_fields_as, write_timer};
use crate::group::membership::GroupCore;
use crate::group::receiver::{ReceiverChain, SenderState, SkippedPostKey};
use crate::group::sender_key::SenderKey;
use crate::group::{
    GroupChainKey, GroupId, GroupMessageKey, GroupState, Role, RotationPolicy, parse_signing_key,
};
use crate::limits::{
    FRAME_TIMER_LEN, MAX_GROUP_MEMBERS, MAX_GROUP_SKIPPED_KEYS, MAX_SENDER_CHAIN_STATES,
    MAX_SKIPPED_KEY_AGE_MS,
};
use crate::time::Timestamp;
use crate::wire::codec::{Reader, write_exact};

/// A subscriber's role byte: the one role whose blob names an owner and
/// holds no members and no chain of its own.
const ROLE_SUBSCRIBER: u8 = 0x03;

/// A count as the blob writes it: every list a group holds is capped far
/// below 2³² ([`MAX_GROUP_MEMBERS`], [`MAX_GROUP_SKIPPED_KEYS`]).
fn len_u32(n: usize) -> u32 {
    #[allow(
        clippy::expect_used,
        reason = "every list a group holds is capped far below 2^32"
    )]
    u32::try_from(n).expect("group lists are capped")
}

fn read_count(r: &mut Reader<'_>, max: usize) -> Result<usize, DecodeError> {
    let n = usize::try_from(r.u32()?).map_err(|_| DecodeError::TooLarge)?;
    if n > max {
        return Err(DecodeError::TooLarge);
    }
    Ok(n)
}

fn encode_state<R: Role>(g: &GroupState<R>, w: &mut BlobWriter) {
    let c = &g.core;
    w.u8(R::BLOB_ROLE);
    w.bytes(c.id.as_bytes());
    write_identity(w, &c.me);
    if let Some(owner) = R::owner(&g.role) {
        write_identity(w, owner);
    }
    // Exactly what `write_timer` writes.
    let timer = write_exact([0u8; FRAME_TIMER_LEN], |t| write_timer(t, &c.timer));
    w.bytes(&timer);
    w.u64(c.highest_timer_version);
    w.u32(c.rotation.max_posts());
    w.u64(c.rotation.max_age_ms());
    w.u64(c.max_skipped_key_age_ms);
    w.u32(len_u32(c.members.len()));
    for m in c.members.values() {
        write_identity(w, m);
    }
    match &c.own {
        Some(o) => {
            w.u8(1);
            w.u32(o.chain_id);
            w.u32(o.iteration);
            w.bytes(o.chain_key.as_bytes());
            w.bytes(o.signing.as_bytes());
            w.u64(o.created_at.as_unix_millis());
            w.u32(len_u32(o.holders.len()));
            for k in o.holders.keys() {
                w.bytes(k);
            }
        }
        None => w.u8(0),
    }
    w.u32(len_u32(c.senders.len()));
    for st in c.senders.values() {
        write_identity(w, &st.identity);
        #[allow(
            clippy::expect_used,
            reason = "a sender holds at most MAX_SENDER_CHAIN_STATES (5) chains"
        )]
        w.u8(u8::try_from(st.chains.len()).expect("chains per sender are capped"));
        for ch in &st.chains {
            w.u32(ch.chain_id);
            w.u32(ch.next);
            w.bytes(ch.chain_key.as_bytes());
            w.bytes(ch.verifying.as_bytes());
            match ch.superseded_at {
                Some(at) => {
                    w.u8(1);
                    w.u64(at);
                }
                None => w.u8(0),
            }
        }
        w.u32(len_u32(st.skipped.len()));
        for s in &st.skipped {
            w.u32(s.chain_id);
            w.u32(s.iteration);
            w.bytes(s.key.as_bytes());
            w.u64(s.skipped_at);
        }
        w.u32(len_u32(st.evicted.len()));
        for (c, i) in &st.evicted {
            w.u32(*c);
            w.u32(*i);
        }
    }
}

/// Decodes a body of format `version` (1 to 3; see the module's layout)
/// whose role byte is `R`'s.
fn decode_state<R: Role>(body: &[u8], version: u8) -> Result<GroupState<R>, DecodeError> {
    let v2 = version >= 2;
    // Group v3 is the first version written under SPEC §3.1's torsion rule.
    let keys = StoredKeys::for_version(version, 3);
    // Another role's blob (or none) is refused before anything is read.
    if body.first() != Some(&R::BLOB_ROLE) {
        return Err(DecodeError::InvalidValue);
    }
    let mut r = Reader::new(body);
    let role_byte = r.u8()?;
    let id = GroupId::from_bytes(r.array()?);
    let me = read_identity(&mut r, keys)?;
    let owner = if role_byte == ROLE_SUBSCRIBER {
        Some(read_identity(&mut r, keys)?)
    } else {
        None
    };
    let role = R::from_owner(owner).ok_or(DecodeError::InvalidValue)?;
    let wide = version >= 3;
    let timer = read_timer_fields_as(&mut r, wide).map_err(|_| DecodeError::InvalidValue)?;
    let highest_timer_version = if wide { r.u64()? } else { u64::from(r.u32()?) };
    if highest_timer_version < timer.version {
        return Err(DecodeError::InvalidValue);
    }
    let rotation =
        RotationPolicy::new(r.u32()?, r.u64()?).map_err(|_| DecodeError::InvalidValue)?;
    let mut core = GroupCore::empty(id, R::MODE, me);
    core.timer = timer;
    core.highest_timer_version = highest_timer_version;
    core.rotation = rotation;
    core.max_skipped_key_age_ms = if v2 { r.u64()? } else { MAX_SKIPPED_KEY_AGE_MS };
    let members = read_count(&mut r, MAX_GROUP_MEMBERS)?;
    if role_byte == ROLE_SUBSCRIBER && members != 0 {
        return Err(DecodeError::InvalidValue);
    }
    let mut last: Option<[u8; 32]> = None;
    for _ in 0..members {
        let m = read_identity(&mut r, keys)?;
        if last.is_some_and(|l| l >= m.to_bytes()) || m == me {
            return Err(DecodeError::InvalidValue);
        }
        last = Some(m.to_bytes());
        core.members.insert(m.to_bytes(), m);
    }
    core.own = match r.u8()? {
        0 if role_byte == ROLE_SUBSCRIBER => None,
        1 if role_byte != ROLE_SUBSCRIBER => {
            let chain_id = r.u32()?;
            let iteration = r.u32()?;
            if iteration == u32::MAX {
                return Err(DecodeError::InvalidValue);
            }
            let chain_key = GroupChainKey::new(*Zeroizing::new(r.array::<32>()?));
            let seed = Zeroizing::new(r.array::<32>()?);
            let created_at = Timestamp::from_unix_millis(r.u64()?);
            let n = read_count(&mut r, MAX_GROUP_MEMBERS)?;
            let mut holders = BTreeMap::new();
            let mut last: Option<[u8; 32]> = None;
            for _ in 0..n {
                let k = r.array::<32>()?;
                if last.is_some_and(|l| l >= k) {
                    return Err(DecodeError::InvalidValue);
                }
                last = Some(k);
                let m = core.members.get(&k).ok_or(DecodeError::InvalidValue)?;
                holders.insert(k, *m);
            }
            Some(SenderKey::from_parts(
                chain_id, iteration, chain_key, &seed, created_at, holders,
            ))
        }
        _ => return Err(DecodeError::InvalidValue),
    };
    let senders = read_count(&mut r, MAX_GROUP_MEMBERS)?;
    let mut last: Option<[u8; 32]> = None;
    for _ in 0..senders {
        let identity = read_identity(&mut r, keys)?;
        if last.is_some_and(|l| l >= identity.to_bytes()) {
            return Err(DecodeError::InvalidValue);
        }
        last = Some(identity.to_bytes());
        let is_member = core.members.contains_key(identity.as_bytes());
        if !R::may_post(&role, is_member, &identity) {
            return Err(DecodeError::InvalidValue);
        }
        let mut st = SenderState::new(identity);
        let chains = usize::from(r.u8()?);
        if chains == 0 || chains > MAX_SENDER_CHAIN_STATES {
            return Err(DecodeError::InvalidValue);
        }
        for n in 1..=chains {
            let chain_id = r.u32()?;
            if st.chains.iter().any(|c| c.chain_id == chain_id) {
                return Err(DecodeError::InvalidValue);
            }
            let next = r.u32()?;
            let chain_key = GroupChainKey::new(*Zeroizing::new(r.array::<32>()?));
            let verifying = parse_signing_key(&r.array::<32>()?)?;
            // Every chain but the newest is superseded (v1: at 0).
            let newest = n == chains;
            let superseded_at = match (v2, newest) {
                (false, true) => None,
                (false, false) => Some(0),
                (true, _) => match r.u8()? {
                    0 if newest => None,
                    1 if !newest => Some(r.u64()?),
                    _ => return Err(DecodeError::InvalidValue),
                },
            };
            st.chains.push(ReceiverChain {
                chain_id,
                next,
                chain_key,
                verifying,
                superseded_at,
            });
        }
        let skipped = read_count(&mut r, MAX_GROUP_SKIPPED_KEYS)?;
        for _ in 0..skipped {
            let chain_id = r.u32()?;
            let iteration = r.u32()?;
            let key = GroupMessageKey::new(*Zeroizing::new(r.array::<32>()?));
            let skipped_at = if v2 { r.u64()? } else { 0 };
            let chain = st
                .chains
                .iter()
                .find(|c| c.chain_id == chain_id)
                .ok_or(DecodeError::InvalidValue)?;
            if iteration >= chain.next {
                return Err(DecodeError::InvalidValue);
            }
            st.skipped.push(SkippedPostKey {
                chain_id,
                iteration,
                key,
                skipped_at,
            });
        }
        let evicted = read_count(&mut r, MAX_GROUP_SKIPPED_KEYS)?;
        for _ in 0..evicted {
            st.evicted.push((r.u32()?, r.u32()?));
        }
        core.senders.insert(identity.to_bytes(), st);
    }
    r.finish()?;
    Ok(GroupState::from_parts(core, role))
}

impl<R: Role> Codec for GroupState<R> {
    const KINDS: &'static [BlobKind] = &[BlobKind::Group];

    fn kind(&self) -> BlobKind {
        BlobKind::Group
    }

    fn encode_body(&self, w: &mut BlobWriter) {
        encode_state(self, w);
    }

    fn decode_body(_kind: BlobKind, version: u8, body: &[u8]) -> Result<Self, StateError> {
        Ok(decode_state(body, version)?)
    }
}

impl<R: Role> StateBlob for GroupState<R> {}
