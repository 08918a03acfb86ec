//! The post wire format (SPEC.md §20.2): one AES-256-CTR encryption and
//! one Ed25519 signature, whatever the audience. The signature, over the
//! header, the sender's identity key and a SHA-256 digest of the
//! ciphertext, is the post's integrity check: it is verified strictly
//! before anything is decrypted.
//!
//! ```text
//! version u8 (0x03) | type u8 (0x20) | group_id [16] | chain_id u32 BE
//! | iteration u32 BE | r [12] | ciphertext (inner frame) | signature [64]
//! ```

use sha2::{Digest, Sha256};

use crate::error::DecodeError;
use crate::frame::frame_len;
use crate::group::GroupId;
use crate::group::error::GroupError;
use crate::limits::{FRAME_HEADER_LEN, MAX_FRAME_LEN, MIN_PADDED_BODY_LEN};
use crate::wire::codec::Reader;

/// Wire version of a post. Versions `0x01` (AES-256-GCM with a tag) and
/// `0x02` (no per-post randomness, no sender identity in the signed
/// message) were never released and are refused (SPEC.md §20.2).
pub const POST_VERSION: u8 = 0x03;
/// Type byte of a group or channel post.
pub const TYPE_GROUP_POST: u8 = 0x20;
/// Length of the fresh random bytes `r` every post carries in its header
/// (SPEC.md §20.4): they make the AES-256-CTR counter block unique even if
/// a sender restored from an old state reuses a chain position.
pub const POST_RANDOM_LEN: usize = 12;
/// Version, type, group id, chain id, iteration, `r`.
pub const POST_HEADER_LEN: usize = 2 + 16 + 4 + 4 + POST_RANDOM_LEN;
/// The Ed25519 signature.
pub const POST_SIGNATURE_LEN: usize = 64;
/// Prefix of the signed message, binding the signature to its purpose.
pub const POST_SIGNATURE_LABEL: &[u8; 21] = b"Sealwire_GroupPost_v3";
/// Length of the signed message: label, header, the sender's Ed25519
/// identity key, SHA-256 of the ciphertext.
pub const POST_SIGNED_LEN: usize = 21 + POST_HEADER_LEN + 32 + 32;
/// Smallest post: the smallest frame (15 + 32 bytes).
pub const MIN_POST_LEN: usize =
    POST_HEADER_LEN + FRAME_HEADER_LEN + MIN_PADDED_BODY_LEN + POST_SIGNATURE_LEN;
/// Largest post: the largest frame.
pub const MAX_POST_LEN: usize = POST_HEADER_LEN + MAX_FRAME_LEN + POST_SIGNATURE_LEN;

/// Length of a post with a body of `body_len` bytes, with or without the
/// frame's timer block.
pub fn post_len(body_len: usize, with_timer: bool) -> usize {
    frame_len(body_len, with_timer).saturating_add(POST_HEADER_LEN + POST_SIGNATURE_LEN)
}

/// The cleartext header of a post.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PostHeader {
    /// The group.
    pub group_id: GroupId,
    /// The sender's chain.
    pub chain_id: u32,
    /// The position in the chain.
    pub iteration: u32,
    /// The post's fresh random bytes (SPEC.md §20.4).
    pub random: [u8; POST_RANDOM_LEN],
}

impl PostHeader {
    /// The 38 header bytes.
    pub fn encode(&self) -> [u8; POST_HEADER_LEN] {
        let mut out = [0u8; POST_HEADER_LEN];
        let (vt, rest) = out.split_at_mut(2);
        vt.copy_from_slice(&[POST_VERSION, TYPE_GROUP_POST]);
        let (gid, rest) = rest.split_at_mut(16);
        gid.copy_from_slice(self.group_id.as_bytes());
        let (cid, rest) = rest.split_at_mut(4);
        cid.copy_from_slice(&self.chain_id.to_be_bytes());
        let (it, r) = rest.split_at_mut(4);
        it.copy_from_slice(&self.iteration.to_be_bytes());
        r.copy_from_slice(&self.random);
        out
    }
}

/// A parsed post: its header and where its parts are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PostLayout {
    pub(crate) header: PostHeader,
    pub(crate) header_bytes: [u8; POST_HEADER_LEN],
    /// End of the ciphertext (start of the signature).
    pub(crate) ct_end: usize,
    pub(crate) signature: [u8; POST_SIGNATURE_LEN],
}

impl PostLayout {
    /// The ciphertext's range in the post: what the signature's digest
    /// covers.
    pub(crate) fn ciphertext(&self) -> core::ops::Range<usize> {
        POST_HEADER_LEN..self.ct_end
    }
}

/// Parses a post strictly (SPEC.md §20.2): length bounds first, then
/// version, type, and a ciphertext at least as long as the smallest frame.
pub(crate) fn parse_post(bytes: &[u8]) -> Result<PostLayout, GroupError> {
    if bytes.len() > MAX_POST_LEN {
        return Err(DecodeError::TooLarge.into());
    }
    let mut r = Reader::new(bytes);
    let version = r.u8()?;
    if version != POST_VERSION {
        return Err(DecodeError::UnsupportedVersion(version).into());
    }
    let ty = r.u8()?;
    if ty != TYPE_GROUP_POST {
        return Err(DecodeError::UnexpectedType(ty).into());
    }
    let group_id = GroupId::from_bytes(r.array::<16>()?);
    let chain_id = r.u32()?;
    let iteration = r.u32()?;
    let random = r.array::<POST_RANDOM_LEN>()?;
    if bytes.len() < MIN_POST_LEN {
        return Err(DecodeError::Truncated.into());
    }
    let ct_end = bytes
        .len()
        .checked_sub(POST_SIGNATURE_LEN)
        .ok_or(DecodeError::Truncated)?;
    let _ciphertext = r.take(ct_end.saturating_sub(POST_HEADER_LEN))?;
    let signature = r.array::<POST_SIGNATURE_LEN>()?;
    r.finish()?;
    let header = PostHeader {
        group_id,
        chain_id,
        iteration,
        random,
    };
    Ok(PostLayout {
        header,
        header_bytes: header.encode(),
        ct_end,
        signature,
    })
}

/// The header of a post, for routing it to its group; checks the post's
/// layout but nothing cryptographic.
pub fn parse_post_header(bytes: &[u8]) -> Result<PostHeader, GroupError> {
    parse_post(bytes).map(|p| p.header)
}

/// `SHA-256(ciphertext)`: computed once per received post, whatever the
/// number of chains its signature is tried under.
pub(crate) fn ciphertext_digest(ciphertext: &[u8]) -> [u8; 32] {
    Sha256::digest(ciphertext).into()
}

/// `label || header || IK_sender || SHA-256(ciphertext)`: the message the
/// sender signs (SPEC.md §20.2). `sender` is the Ed25519 identity key of
/// the chain's sender, so a chain re-sent by another member under its own
/// name never verifies the genuine sender's posts (SPEC.md §16).
pub(crate) fn signed_message(
    header: &[u8; POST_HEADER_LEN],
    sender: &[u8; 32],
    digest: &[u8; 32],
) -> [u8; POST_SIGNED_LEN] {
    let mut out = [0u8; POST_SIGNED_LEN];
    let (label, rest) = out.split_at_mut(POST_SIGNATURE_LABEL.len());
    label.copy_from_slice(POST_SIGNATURE_LABEL);
    let (h, rest) = rest.split_at_mut(POST_HEADER_LEN);
    h.copy_from_slice(header);
    let (ik, d) = rest.split_at_mut(32);
    ik.copy_from_slice(sender);
    d.copy_from_slice(digest);
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    #[test]
    fn header_carries_r_and_the_signed_message_names_the_sender() {
        let h = PostHeader {
            group_id: GroupId::from_bytes([1; 16]),
            chain_id: 0x0102_0304,
            iteration: 5,
            random: [0xab; POST_RANDOM_LEN],
        };
        let bytes = h.encode();
        assert_eq!(bytes.len(), 38);
        assert_eq!(&bytes[..2], &[0x03, 0x20]);
        assert_eq!(&bytes[26..], &[0xab; 12]);
        let mut post = bytes.to_vec();
        post.resize(MIN_POST_LEN, 0);
        let layout = parse_post(&post).unwrap();
        assert_eq!(layout.header, h);
        let digest = ciphertext_digest(&post[layout.ciphertext()]);
        let a = signed_message(&bytes, &[0x11; 32], &digest);
        let b = signed_message(&bytes, &[0x22; 32], &digest);
        assert_eq!(a.len(), POST_SIGNED_LEN);
        assert_eq!(&a[..21], b"Sealwire_GroupPost_v3");
        assert_eq!(&a[21..59], &bytes[..]);
        assert_eq!(&a[59..91], &[0x11; 32]);
        assert_eq!(&a[91..], &digest);
        assert_ne!(a, b);
        assert_eq!(MIN_POST_LEN, 149);
        assert_eq!(MAX_POST_LEN, 1_048_738);
    }

    #[test]
    fn earlier_versions_are_refused() {
        let mut post = alloc::vec![0u8; MIN_POST_LEN];
        post[1] = TYPE_GROUP_POST;
        for v in [0x01, 0x02] {
            post[0] = v;
            assert_eq!(
                parse_post(&post),
                Err(GroupError::Malformed(DecodeError::UnsupportedVersion(v)))
            );
        }
    }

    #[test]
    fn the_length_bounds_are_inclusive() {
        // MAX_POST_LEN itself parses; one byte more is TooLarge before the
        // version is read. MIN_POST_LEN parses; one byte less is Truncated.
        let h = PostHeader {
            group_id: GroupId::from_bytes([2; 16]),
            chain_id: 7,
            iteration: 0,
            random: [0; POST_RANDOM_LEN],
        };
        let mut post = h.encode().to_vec();
        post.resize(MAX_POST_LEN, 0);
        assert_eq!(parse_post(&post).map(|l| l.header), Ok(h));
        post.push(0);
        assert_eq!(
            parse_post(&post),
            Err(GroupError::Malformed(DecodeError::TooLarge))
        );
        post.truncate(MIN_POST_LEN);
        assert_eq!(parse_post(&post).map(|l| l.header), Ok(h));
        post.pop();
        assert_eq!(
            parse_post(&post),
            Err(GroupError::Malformed(DecodeError::Truncated))
        );
    }
}
