//! X25519 key pairs and the Diffie-Hellman function with the all-zero check.

use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::montgomery::MontgomeryPoint;
use subtle::ConstantTimeEq;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use crate::error::SessionError;

/// An X25519 key pair whose secret is zeroized on drop.
#[derive(Clone)]
pub(crate) struct DhKeyPair {
    secret: StaticSecret,
    public: [u8; 32],
}

impl DhKeyPair {
    pub(crate) fn from_secret_bytes(bytes: [u8; 32]) -> Self {
        let secret = StaticSecret::from(bytes);
        let public = PublicKey::from(&secret).to_bytes();
        Self { secret, public }
    }

    /// A pair restored from storage: the public half is taken as stored
    /// (the blob's checksum or tag protects it), which saves the scalar
    /// multiplication of [`from_secret_bytes`](Self::from_secret_bytes).
    pub(crate) fn from_stored(secret: [u8; 32], public: [u8; 32]) -> Self {
        Self {
            secret: StaticSecret::from(secret),
            public,
        }
    }

    pub(crate) fn generate<R: rand_core::CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(bytes.as_mut());
        Self::from_secret_bytes(*bytes)
    }

    pub(crate) fn public(&self) -> &[u8; 32] {
        &self.public
    }

    /// The secret scalar bytes, for persistence.
    pub(crate) fn secret_bytes(&self) -> &[u8; 32] {
        self.secret.as_bytes()
    }

    /// `X25519(secret, their_public)`, refusing an all-zero output.
    pub(crate) fn diffie_hellman(
        &self,
        their_public: &[u8; 32],
    ) -> Result<Zeroizing<[u8; 32]>, SessionError> {
        dh_checked(&self.secret, &TheirPublic::new(their_public))
    }

    /// [`diffie_hellman`](Self::diffie_hellman) with a peer key decoded
    /// once for several DHs.
    pub(crate) fn diffie_hellman_with(
        &self,
        their_public: &TheirPublic,
    ) -> Result<Zeroizing<[u8; 32]>, SessionError> {
        dh_checked(&self.secret, their_public)
    }

    pub(crate) fn ct_eq(&self, other: &Self) -> bool {
        bool::from(self.secret.as_bytes().ct_eq(other.secret.as_bytes()))
            && self.public == other.public
    }
}

impl core::fmt::Debug for DhKeyPair {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DhKeyPair")
            .field("public", &crate::hexfmt::Hex(&self.public))
            .finish_non_exhaustive()
    }
}

/// A peer's X25519 public key (a u-coordinate) and the point of the
/// Edwards curve it maps to, decoded once: the DHs of a handshake that
/// share a peer key (the signed prekey on the initiator's side, the base
/// key on the responder's) pay for the decoding (a field inversion and a
/// square root, about a sixth of a DH) once, and so does the ratchet's
/// receiving chain for our next sending step.
#[derive(Clone, Copy)]
pub(crate) struct TheirPublic {
    point: MontgomeryPoint,
    /// `None` for a u-coordinate of the quadratic twist (and `u = -1`).
    edwards: Option<EdwardsPoint>,
}

impl TheirPublic {
    pub(crate) fn new(bytes: &[u8; 32]) -> Self {
        let point = MontgomeryPoint(*bytes);
        Self {
            point,
            edwards: point.to_edwards(0),
        }
    }
}

/// `X25519(secret, their_public)`; an all-zero result (a low-order or
/// zero peer key) is refused (SPEC.md §1.2).
///
/// The output is the canonical encoding of `u`, compared with all zeros in
/// constant time: exactly the all-zero test of the SPEC.
pub(crate) fn dh_checked(
    secret: &StaticSecret,
    their_public: &TheirPublic,
) -> Result<Zeroizing<[u8; 32]>, SessionError> {
    let shared = x25519(secret.as_bytes(), their_public);
    if bool::from(shared.ct_eq(&[0u8; 32])) {
        return Err(SessionError::WeakPublicKey);
    }
    Ok(shared)
}

/// The X25519 function of RFC 7748, `u(clamp(k) · P)` for the point `P`
/// of u-coordinate `u`, computed on the birationally equivalent Edwards
/// curve when `P` is a point of Curve25519: curve25519-dalek runs the
/// Edwards variable-base multiplication on its vector backend (AVX2,
/// chosen at run time; serial code elsewhere), while its Montgomery ladder
/// is serial only. On an AVX2 CPU a key pair and one X25519 take 0.8 to
/// 1.0 of x25519-dalek's time (RATIONALE.md, "Measured costs").
///
/// Same output as the ladder for every input (the Wycheproof X25519
/// vectors of tests/wycheproof.rs pass through this function):
/// - `u` is read as the ladder reads it (bit 255 ignored, values of `p`
///   and above reduced); `to_edwards` maps it to `y = (u - 1)/(u + 1)` and
///   decompresses with `x` even, and `u(k·P) = u(k·(-P))`, so the sign
///   choice does not matter;
/// - the Edwards addition formulas are complete (every point, torsion
///   included), and `to_montgomery` maps the identity to `u = 0`, as the
///   ladder's `X/Z` with `Z = 0` does: a low-order input still gives all
///   zeros;
/// - a u-coordinate of the quadratic twist (and `u = -1`, the map's
///   exceptional point, which is on the twist) has no Edwards point: the
///   ladder computes it, as before.
///
/// Constant time in the secret; which path runs depends only on the public
/// input (curve or twist).
fn x25519(secret: &[u8; 32], their_public: &TheirPublic) -> Zeroizing<[u8; 32]> {
    let scalar = Zeroizing::new(*secret);
    let shared = match their_public.edwards {
        Some(edwards) => edwards.mul_clamped(*scalar).to_montgomery(),
        None => their_public.point.mul_clamped(*scalar),
    };
    Zeroizing::new(shared.to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Equal only if both halves are: a stored pair whose public half does
    /// not match its secret is not the genuine pair, nor the reverse.
    #[test]
    fn key_pairs_are_equal_only_in_both_halves() {
        let a = DhKeyPair::from_secret_bytes([1; 32]);
        let b = DhKeyPair::from_secret_bytes([2; 32]);
        assert!(a.ct_eq(&DhKeyPair::from_secret_bytes([1; 32])));
        assert!(!a.ct_eq(&b));
        assert!(!a.ct_eq(&DhKeyPair::from_stored([1; 32], *b.public())));
        assert!(!a.ct_eq(&DhKeyPair::from_stored([2; 32], *a.public())));
    }

    #[test]
    fn a_key_pairs_debug_shows_its_public_half_only() {
        let a = DhKeyPair::from_secret_bytes([7; 32]);
        let shown = alloc::format!("{a:?}");
        let hex: alloc::string::String = a
            .public()
            .iter()
            .map(|b| alloc::format!("{b:02x}"))
            .collect();
        assert!(shown.starts_with("DhKeyPair"), "{shown}");
        assert!(shown.contains(&hex), "{shown}");
        assert!(!shown.contains("0707070707070707"), "{shown}");
    }

    /// The Montgomery ladder of x25519-dalek, the reference.
    fn ladder(secret: [u8; 32], u: [u8; 32]) -> [u8; 32] {
        x25519_dalek::x25519(secret, u)
    }

    proptest! {
        /// The Edwards path gives the ladder's output for any 32 bytes:
        /// about half of them are points of the twist (the ladder path),
        /// the others points of the curve with any torsion component;
        /// bit 255 and values of p and above included.
        #[test]
        fn edwards_path_matches_the_ladder(secret in any::<[u8; 32]>(), u in any::<[u8; 32]>()) {
            prop_assert_eq!(*x25519(&secret, &TheirPublic::new(&u)), ladder(secret, u));
        }

        /// The same for points of the curve only (public keys and their
        /// sums with a point of small order).
        #[test]
        fn edwards_path_matches_the_ladder_on_the_curve(
            secret in any::<[u8; 32]>(),
            key in any::<[u8; 32]>(),
            torsion in 0usize..8,
        ) {
            let point = curve25519_dalek::EdwardsPoint::mul_base_clamped(key)
                + curve25519_dalek::constants::EIGHT_TORSION[torsion];
            let u = point.to_montgomery().to_bytes();
            let their = TheirPublic::new(&u);
            prop_assert!(their.edwards.is_some());
            prop_assert_eq!(*x25519(&secret, &their), ladder(secret, u));
        }
    }

    /// Both paths are taken: a twist point has no Edwards point.
    #[test]
    fn twist_points_take_the_ladder() {
        // u = 2 is on the twist of Curve25519 (2^3 + A·2^2 + 2 is not a
        // square mod p); u = 9 is the base point.
        let mut two = [0u8; 32];
        two[0] = 2;
        let mut nine = [0u8; 32];
        nine[0] = 9;
        assert!(TheirPublic::new(&two).edwards.is_none());
        assert!(TheirPublic::new(&nine).edwards.is_some());
        assert_eq!(
            *x25519(&[7; 32], &TheirPublic::new(&two)),
            ladder([7; 32], two)
        );
    }

    /// The points of small order (RFC 7748 §6.1; the list of
    /// cr.yp.to/ecdh.html#validate), including non-canonical encodings:
    /// every one makes the output all zero and is refused.
    #[test]
    fn low_order_points_are_refused() {
        let mut one = [0u8; 32];
        one[0] = 1;
        let mut p_minus_one = [0xffu8; 32];
        p_minus_one[0] = 0xec;
        p_minus_one[31] = 0x7f;
        let mut p_plus_one = p_minus_one;
        p_plus_one[0] = 0xee;
        let order_8 = [
            0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f,
            0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16,
            0x5f, 0x49, 0xb8, 0x00,
        ];
        let pair = DhKeyPair::from_secret_bytes([0x42; 32]);
        for point in [[0u8; 32], one, p_minus_one, p_plus_one, order_8] {
            assert_eq!(
                pair.diffie_hellman(&point).map(|_| ()),
                Err(SessionError::WeakPublicKey),
                "{point:02x?}"
            );
        }
        let peer = DhKeyPair::from_secret_bytes([0x24; 32]);
        let ours = pair.diffie_hellman(peer.public()).map(|k| *k);
        assert_eq!(ours, peer.diffie_hellman(pair.public()).map(|k| *k));
        assert!(ours.is_ok_and(|k| k != [0u8; 32]));
    }
}
