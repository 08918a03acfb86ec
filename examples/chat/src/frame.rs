//! The chat's frames over TCP, in one place: their types, their encoding,
//! how they are read from a connection and parsed, and what is wrong with
//! a frame that is dropped.
//!
//! A frame is `type u8 | length u32 BE | payload`, with at most
//! [`MAX_PAYLOAD_LEN`] bytes of payload. An address is
//! `name_len u8 | name | device u32 BE`, the name 1 to [`MAX_NAME_LEN`]
//! bytes of UTF-8. The hello and the group frames are not routed; every
//! other frame is: its payload starts with `from | to`, and the listener
//! forwards it to the device `to`. A group post goes to the listener, which
//! relays it to every other device (it sees the post's bytes, whose header
//! names the group, and nothing else) and acknowledges it.

use std::fmt;
use std::io::{self, Read, Write};

use sealwire::DeviceAddress;
use sealwire::limits::{MAX_BUNDLE_LEN, MAX_MESSAGE_LEN, RECOVERY_REQUEST_LEN};

/// Longest user name in an address.
pub(crate) const MAX_NAME_LEN: usize = 64;
/// Longest encoded address.
const MAX_ADDRESS_LEN: usize = 1 + MAX_NAME_LEN + 4;
/// `type u8 | length u32 BE`.
const HEADER_LEN: usize = 5;
/// An outbox id, in messages and acks.
const OUTBOX_ID_LEN: usize = 8;
/// The largest payload: a message frame around the largest sealwire
/// message. Every other frame is smaller (checked below).
pub(crate) const MAX_PAYLOAD_LEN: usize = 2 * MAX_ADDRESS_LEN + OUTBOX_ID_LEN + MAX_MESSAGE_LEN;
const _: () = assert!(MAX_ADDRESS_LEN + MAX_BUNDLE_LEN <= MAX_PAYLOAD_LEN);
const _: () = assert!(2 * MAX_ADDRESS_LEN + RECOVERY_REQUEST_LEN <= MAX_PAYLOAD_LEN);

/// The frame types. A new frame (a group message...) is one more variant
/// here; the compiler then lists every place that handles frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FrameType {
    /// `address | prekey bundle`: a device announcing itself (not routed).
    Hello,
    /// `from | to | outbox id i64 BE | sealwire message`.
    Message,
    /// `from | to | outbox id i64 BE`: the message is stored (or was a
    /// duplicate, or can never be decrypted).
    Ack,
    /// `from | to | recovery request` (SPEC.md §21.4).
    Recovery,
    /// `from | post id i64 BE | group post` (SPEC.md §20): to the
    /// listener, which relays it unchanged to every other device.
    GroupPost,
    /// `post id i64 BE`: the listener took the post (to its sender).
    GroupAck,
}

impl FrameType {
    /// The type byte on the wire.
    pub(crate) fn byte(self) -> u8 {
        match self {
            Self::Hello => 1,
            Self::Message => 3,
            Self::Ack => 4,
            Self::Recovery => 5,
            Self::GroupPost => 6,
            Self::GroupAck => 7,
        }
    }

    fn from_byte(byte: u8) -> Option<Self> {
        [
            Self::Hello,
            Self::Message,
            Self::Ack,
            Self::Recovery,
            Self::GroupPost,
            Self::GroupAck,
        ]
        .into_iter()
        .find(|t| t.byte() == byte)
    }

    /// "a hello frame"...: how reports name a frame of this type.
    fn described(self) -> &'static str {
        match self {
            Self::Hello => "a hello frame",
            Self::Message => "a message frame",
            Self::Ack => "an ack frame",
            Self::Recovery => "a recovery request frame",
            Self::GroupPost => "a group post frame",
            Self::GroupAck => "a group ack frame",
        }
    }
}

/// Why a received frame was dropped (reported as "dropped a frame from
/// X: ...").
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FrameError {
    /// The header announces more than [`MAX_PAYLOAD_LEN`] bytes.
    TooLarge { len: usize, max: usize },
    /// The connection ended inside a frame: `got` of its `len` bytes
    /// (`None`: inside the header).
    Truncated { len: Option<usize>, got: usize },
    /// A type byte no frame has.
    UnknownType(u8),
    /// The payload does not parse as its type's.
    Malformed {
        kind: FrameType,
        problem: &'static str,
    },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { len, max } => write!(f, "{len} bytes, over the {max}-byte limit"),
            Self::Truncated {
                len: Some(len),
                got,
            } => write!(
                f,
                "the connection ended {got} bytes into a {len}-byte frame"
            ),
            Self::Truncated { len: None, got } => write!(
                f,
                "the connection ended {got} bytes into a {HEADER_LEN}-byte frame header"
            ),
            Self::UnknownType(t) => write!(f, "unknown frame type {t}"),
            Self::Malformed { kind, problem } => write!(f, "{} {problem}", kind.described()),
        }
    }
}

/// What reading a connection gave.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Received {
    /// A frame: its type byte and payload, not parsed yet.
    Frame(u8, Vec<u8>),
    /// A frame over the limit, skipped: the connection goes on.
    Skipped(FrameError),
    /// The connection ended: between frames (`None`), or inside one.
    End(Option<FrameError>),
}

/// Reads into `buf` until it is full or the connection ends (or fails);
/// returns how many bytes it read.
fn fill(reader: &mut impl Read, buf: &mut [u8]) -> usize {
    let mut got = 0;
    while got < buf.len() {
        match reader.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    got
}

/// Checks a frame header: the type byte and the payload length.
pub(crate) fn parse_header(head: [u8; HEADER_LEN]) -> Result<(u8, usize), FrameError> {
    let [kind, len @ ..] = head;
    let len = usize::try_from(u32::from_be_bytes(len)).unwrap_or(usize::MAX);
    if len > MAX_PAYLOAD_LEN {
        return Err(FrameError::TooLarge {
            len,
            max: MAX_PAYLOAD_LEN,
        });
    }
    Ok((kind, len))
}

/// Reads the next frame. A frame over the limit is skipped (its length
/// still delimits it, and at most a few KiB are held at a time).
pub(crate) fn read_frame(reader: &mut impl Read) -> Received {
    let mut head = [0u8; HEADER_LEN];
    match fill(reader, &mut head) {
        0 => return Received::End(None),
        HEADER_LEN => {}
        got => return Received::End(Some(FrameError::Truncated { len: None, got })),
    }
    let (kind, len) = match parse_header(head) {
        Ok(header) => header,
        Err(e @ FrameError::TooLarge { len, .. }) => {
            let want = u64::try_from(len).unwrap_or(u64::MAX);
            let skipped = io::copy(&mut reader.take(want), &mut io::sink()).unwrap_or(0);
            return if skipped == want {
                Received::Skipped(e)
            } else {
                Received::End(Some(e))
            };
        }
        Err(e) => return Received::End(Some(e)),
    };
    let mut payload = vec![0u8; len];
    let got = fill(reader, &mut payload);
    if got < len {
        return Received::End(Some(FrameError::Truncated {
            len: Some(HEADER_LEN + len),
            got: HEADER_LEN + got,
        }));
    }
    Received::Frame(kind, payload)
}

/// Writes one frame.
pub(crate) fn write_frame(
    writer: &mut impl Write,
    kind: FrameType,
    payload: &[u8],
) -> io::Result<()> {
    if payload.len() > MAX_PAYLOAD_LEN {
        return Err(io::Error::other(
            FrameError::TooLarge {
                len: payload.len(),
                max: MAX_PAYLOAD_LEN,
            }
            .to_string(),
        ));
    }
    let len = u32::try_from(payload.len()).map_err(io::Error::other)?;
    let mut buf = Vec::with_capacity(HEADER_LEN + payload.len());
    buf.push(kind.byte());
    buf.extend_from_slice(&len.to_be_bytes());
    buf.extend_from_slice(payload);
    writer.write_all(&buf)
}

/// Whether `name` can be the user of an address.
pub(crate) fn valid_name(name: &str) -> bool {
    (1..=MAX_NAME_LEN).contains(&name.len())
}

fn put_address(out: &mut Vec<u8>, a: &DeviceAddress) {
    // Names are checked at start and on parse (`valid_name`).
    out.push(u8::try_from(a.name().len()).unwrap_or(u8::MAX));
    out.extend_from_slice(a.name().as_bytes());
    out.extend_from_slice(&a.device_id().to_be_bytes());
}

fn take_address(bytes: &[u8]) -> Option<(DeviceAddress, &[u8])> {
    let (&len, rest) = bytes.split_first()?;
    let (name, rest) = rest.split_at_checked(usize::from(len))?;
    let (device, rest) = rest.split_first_chunk::<4>()?;
    let name = std::str::from_utf8(name).ok()?;
    if !valid_name(name) {
        return None;
    }
    Some((DeviceAddress::new(name, u32::from_be_bytes(*device)), rest))
}

/// The payload of a hello.
pub(crate) fn hello(me: &DeviceAddress, bundle: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(MAX_ADDRESS_LEN + bundle.len());
    put_address(&mut p, me);
    p.extend_from_slice(bundle);
    p
}

/// `from | to | parts...`: the payload of a routed frame.
fn routed(from: &DeviceAddress, to: &DeviceAddress, parts: &[&[u8]]) -> Vec<u8> {
    let len = parts.iter().map(|p| p.len()).sum::<usize>();
    let mut p = Vec::with_capacity(2 * MAX_ADDRESS_LEN + len);
    put_address(&mut p, from);
    put_address(&mut p, to);
    for part in parts {
        p.extend_from_slice(part);
    }
    p
}

/// The payload of a message frame.
pub(crate) fn message(
    from: &DeviceAddress,
    to: &DeviceAddress,
    outbox_id: i64,
    ciphertext: &[u8],
) -> Vec<u8> {
    routed(from, to, &[&outbox_id.to_be_bytes(), ciphertext])
}

/// The payload of an ack.
pub(crate) fn ack(from: &DeviceAddress, to: &DeviceAddress, outbox_id: i64) -> Vec<u8> {
    routed(from, to, &[&outbox_id.to_be_bytes()])
}

/// The payload of a recovery request frame.
pub(crate) fn recovery(from: &DeviceAddress, to: &DeviceAddress, request: &[u8]) -> Vec<u8> {
    routed(from, to, &[request])
}

/// The payload of a group post frame.
pub(crate) fn group_post(from: &DeviceAddress, post_id: i64, post: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(MAX_ADDRESS_LEN + OUTBOX_ID_LEN + post.len());
    put_address(&mut p, from);
    p.extend_from_slice(&post_id.to_be_bytes());
    p.extend_from_slice(post);
    p
}

/// The payload of a group ack.
pub(crate) fn group_ack(post_id: i64) -> Vec<u8> {
    post_id.to_be_bytes().to_vec()
}

/// A parsed frame.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Frame<'a> {
    Hello {
        device: DeviceAddress,
        bundle: &'a [u8],
    },
    Routed(Routed<'a>),
    GroupPost {
        from: DeviceAddress,
        post_id: i64,
        post: &'a [u8],
    },
    GroupAck {
        post_id: i64,
    },
}

/// A frame for the device `to`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Routed<'a> {
    pub(crate) kind: FrameType,
    pub(crate) from: DeviceAddress,
    pub(crate) to: DeviceAddress,
    body: &'a [u8],
}

/// What a routed frame carries, for its recipient.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Body<'a> {
    Message {
        outbox_id: i64,
        ciphertext: &'a [u8],
    },
    Ack {
        outbox_id: i64,
    },
    Recovery {
        request: &'a [u8],
    },
}

/// `id i64 BE | rest`.
fn split_id(bytes: &[u8]) -> Option<(i64, &[u8])> {
    bytes
        .split_first_chunk::<OUTBOX_ID_LEN>()
        .map(|(id, rest)| (i64::from_be_bytes(*id), rest))
}

/// Parses a frame's type byte and payload.
pub(crate) fn parse(kind: u8, payload: &[u8]) -> Result<Frame<'_>, FrameError> {
    let kind = FrameType::from_byte(kind).ok_or(FrameError::UnknownType(kind))?;
    let malformed = |problem| FrameError::Malformed { kind, problem };
    match kind {
        FrameType::Hello => {
            let (device, bundle) =
                take_address(payload).ok_or(malformed("without a valid device address"))?;
            return Ok(Frame::Hello { device, bundle });
        }
        FrameType::GroupPost => {
            let (from, rest) =
                take_address(payload).ok_or(malformed("without a valid sender address"))?;
            let (post_id, post) =
                split_id(rest).ok_or(malformed("shorter than its 8-byte post id"))?;
            if post.is_empty() {
                return Err(malformed("without a post"));
            }
            return Ok(Frame::GroupPost {
                from,
                post_id,
                post,
            });
        }
        FrameType::GroupAck => {
            return match split_id(payload) {
                Some((post_id, [])) => Ok(Frame::GroupAck { post_id }),
                Some(_) => Err(malformed("longer than its 8-byte post id")),
                None => Err(malformed("shorter than its 8-byte post id")),
            };
        }
        FrameType::Message | FrameType::Ack | FrameType::Recovery => {}
    }
    let (from, rest) = take_address(payload).ok_or(malformed("without a valid sender address"))?;
    let (to, body) = take_address(rest).ok_or(malformed("without a valid recipient address"))?;
    Ok(Frame::Routed(Routed {
        kind,
        from,
        to,
        body,
    }))
}

impl<'a> Routed<'a> {
    /// Parses what the frame carries.
    pub(crate) fn body(&self) -> Result<Body<'a>, FrameError> {
        let malformed = |problem| FrameError::Malformed {
            kind: self.kind,
            problem,
        };
        let outbox_id =
            || split_id(self.body).ok_or(malformed("shorter than its 8-byte outbox id"));
        match self.kind {
            FrameType::Message => {
                let (outbox_id, ciphertext) = outbox_id()?;
                Ok(Body::Message {
                    outbox_id,
                    ciphertext,
                })
            }
            FrameType::Ack => match outbox_id()? {
                (outbox_id, []) => Ok(Body::Ack { outbox_id }),
                _ => Err(malformed("longer than its 8-byte outbox id")),
            },
            FrameType::Recovery => Ok(Body::Recovery { request: self.body }),
            FrameType::Hello | FrameType::GroupPost | FrameType::GroupAck => {
                Err(malformed("routed"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> DeviceAddress {
        DeviceAddress::new("alice", 1)
    }

    fn bob() -> DeviceAddress {
        DeviceAddress::new("bob", 7)
    }

    fn encoded(kind: FrameType, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        write_frame(&mut out, kind, payload).unwrap();
        out
    }

    fn header(kind: u8, len: u32) -> Vec<u8> {
        let mut h = vec![kind];
        h.extend_from_slice(&len.to_be_bytes());
        h
    }

    #[test]
    fn frames_round_trip() {
        let payload = message(&alice(), &bob(), 42, b"ciphertext");
        let bytes = encoded(FrameType::Message, &payload);
        let Received::Frame(kind, got) = read_frame(&mut &bytes[..]) else {
            panic!("no frame");
        };
        let Frame::Routed(r) = parse(kind, &got).unwrap() else {
            panic!("not routed");
        };
        assert_eq!(
            (r.kind, &r.from, &r.to),
            (FrameType::Message, &alice(), &bob())
        );
        assert_eq!(
            r.body().unwrap(),
            Body::Message {
                outbox_id: 42,
                ciphertext: b"ciphertext"
            }
        );

        let payload = ack(&bob(), &alice(), -3);
        let Frame::Routed(r) = parse(FrameType::Ack.byte(), &payload).unwrap() else {
            panic!("not routed");
        };
        assert_eq!(r.body().unwrap(), Body::Ack { outbox_id: -3 });

        let payload = recovery(&bob(), &alice(), b"request");
        let Frame::Routed(r) = parse(FrameType::Recovery.byte(), &payload).unwrap() else {
            panic!("not routed");
        };
        assert_eq!(
            r.body().unwrap(),
            Body::Recovery {
                request: b"request"
            }
        );

        let payload = hello(&alice(), b"bundle");
        assert_eq!(
            parse(FrameType::Hello.byte(), &payload).unwrap(),
            Frame::Hello {
                device: alice(),
                bundle: b"bundle"
            }
        );

        let payload = group_post(&bob(), 9, b"post bytes");
        assert_eq!(
            parse(FrameType::GroupPost.byte(), &payload).unwrap(),
            Frame::GroupPost {
                from: bob(),
                post_id: 9,
                post: b"post bytes"
            }
        );
        assert_eq!(
            parse(FrameType::GroupAck.byte(), &group_ack(-1)).unwrap(),
            Frame::GroupAck { post_id: -1 }
        );
    }

    #[test]
    fn garbled_group_frames_are_refused_with_a_reason() {
        let mut no_post = Vec::new();
        put_address(&mut no_post, &bob());
        no_post.extend_from_slice(&[0; 8]);
        let cases: [(FrameType, Vec<u8>, &str); 5] = [
            (
                FrameType::GroupPost,
                vec![0, 1],
                "a group post frame without a valid sender address",
            ),
            (
                FrameType::GroupPost,
                hello(&bob(), &[1, 2]),
                "a group post frame shorter than its 8-byte post id",
            ),
            (
                FrameType::GroupPost,
                no_post,
                "a group post frame without a post",
            ),
            (
                FrameType::GroupAck,
                vec![1; 7],
                "a group ack frame shorter than its 8-byte post id",
            ),
            (
                FrameType::GroupAck,
                vec![1; 9],
                "a group ack frame longer than its 8-byte post id",
            ),
        ];
        for (kind, payload, want) in cases {
            assert_eq!(parse(kind.byte(), &payload).unwrap_err().to_string(), want);
        }
    }

    #[test]
    fn an_oversized_frame_is_reported_and_skipped() {
        let len = MAX_PAYLOAD_LEN + 1;
        let mut bytes = header(3, u32::try_from(len).unwrap());
        bytes.resize(bytes.len() + len, 0xAA);
        bytes.extend(encoded(FrameType::Ack, &ack(&alice(), &bob(), 1)));
        let mut reader = &bytes[..];
        let e = FrameError::TooLarge {
            len,
            max: MAX_PAYLOAD_LEN,
        };
        assert_eq!(read_frame(&mut reader), Received::Skipped(e.clone()));
        assert_eq!(
            e.to_string(),
            format!("{len} bytes, over the {MAX_PAYLOAD_LEN}-byte limit")
        );
        // The next frame is read as if nothing happened.
        assert!(matches!(read_frame(&mut reader), Received::Frame(4, _)));
        assert_eq!(read_frame(&mut reader), Received::End(None));
    }

    #[test]
    fn a_frame_at_the_limit_is_read() {
        let mut bytes = header(3, u32::try_from(MAX_PAYLOAD_LEN).unwrap());
        bytes.resize(bytes.len() + MAX_PAYLOAD_LEN, 0);
        assert!(
            matches!(read_frame(&mut &bytes[..]), Received::Frame(3, p) if p.len() == MAX_PAYLOAD_LEN)
        );
    }

    #[test]
    fn an_oversized_frame_cut_short_ends_the_connection_with_its_report() {
        let mut bytes = header(3, u32::MAX);
        bytes.extend_from_slice(b"only this");
        let got = read_frame(&mut &bytes[..]);
        let Received::End(Some(e)) = got else {
            panic!("{got:?}");
        };
        assert_eq!(
            e.to_string(),
            format!("4294967295 bytes, over the {MAX_PAYLOAD_LEN}-byte limit")
        );
    }

    #[test]
    fn truncated_frames_are_reported() {
        assert_eq!(read_frame(&mut &[][..]), Received::End(None));
        let e = FrameError::Truncated { len: None, got: 3 };
        assert_eq!(
            read_frame(&mut &[1u8, 0, 0][..]),
            Received::End(Some(e.clone()))
        );
        assert_eq!(
            e.to_string(),
            "the connection ended 3 bytes into a 5-byte frame header"
        );
        let mut bytes = header(1, 10);
        bytes.extend_from_slice(b"abc");
        let e = FrameError::Truncated {
            len: Some(15),
            got: 8,
        };
        assert_eq!(read_frame(&mut &bytes[..]), Received::End(Some(e.clone())));
        assert_eq!(
            e.to_string(),
            "the connection ended 8 bytes into a 15-byte frame"
        );
    }

    #[test]
    fn garbled_frames_are_refused_with_a_reason() {
        let cases: [(u8, Vec<u8>, &str); 9] = [
            (9, b"abc".to_vec(), "unknown frame type 9"),
            (2, vec![], "unknown frame type 2"),
            (8, vec![], "unknown frame type 8"),
            (1, vec![], "a hello frame without a valid device address"),
            // Name length 0, and a name that is not UTF-8.
            (
                1,
                vec![0, 0, 0, 0, 1],
                "a hello frame without a valid device address",
            ),
            (
                1,
                vec![1, 0xFF, 0, 0, 0, 1],
                "a hello frame without a valid device address",
            ),
            (
                3,
                vec![5, b'a'],
                "a message frame without a valid sender address",
            ),
            (
                4,
                hello(&alice(), &[]),
                "an ack frame without a valid recipient address",
            ),
            (
                5,
                {
                    let mut p = vec![65];
                    p.extend_from_slice(&[b'a'; 65]);
                    p.extend_from_slice(&[0; 4]);
                    p
                },
                "a recovery request frame without a valid sender address",
            ),
        ];
        for (kind, payload, want) in cases {
            let e = parse(kind, &payload).unwrap_err();
            assert_eq!(e.to_string(), want);
        }
        let short = routed(&alice(), &bob(), &[&[1, 2, 3]]);
        for (kind, want) in [
            (
                FrameType::Message,
                "a message frame shorter than its 8-byte outbox id",
            ),
            (
                FrameType::Ack,
                "an ack frame shorter than its 8-byte outbox id",
            ),
        ] {
            let Frame::Routed(r) = parse(kind.byte(), &short).unwrap() else {
                panic!("not routed");
            };
            assert_eq!(r.body().unwrap_err().to_string(), want);
        }
        let long = routed(&alice(), &bob(), &[&[0; 9]]);
        let Frame::Routed(r) = parse(FrameType::Ack.byte(), &long).unwrap() else {
            panic!("not routed");
        };
        assert_eq!(
            r.body().unwrap_err().to_string(),
            "an ack frame longer than its 8-byte outbox id"
        );
    }

    #[test]
    fn an_oversized_payload_is_not_written() {
        let mut out = Vec::new();
        assert!(write_frame(&mut out, FrameType::Message, &vec![0; MAX_PAYLOAD_LEN + 1]).is_err());
        assert!(out.is_empty());
    }
}
