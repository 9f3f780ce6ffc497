//! The token grammar shared by every profile: `payload SEP timestamp SEP signature`,
//! with an optional leading `.` marking a compressed payload.

use crate::compress::Inflate;
use crate::encoding::{self, MAX_TIMESTAMP_BYTES};
use crate::error::Error;
use crate::json;
use crate::key::KeyUsed;
use crate::signer::{Algorithm, Signer, MAX_SIGNATURE_LEN};

/// Uncompressed payloads that decode to at most this many bytes are decoded on the
/// stack rather than into an allocation.
pub(crate) const STACK_PAYLOAD_LEN: usize = 512;

/// A token split at its last two separators: `payload SEP timestamp SEP signature`,
/// the payload with an optional leading `.` that marks it compressed. This is the one
/// place that splits the token grammar: [`Framer::open`] (which refuses every part
/// that breaks a rule, before and after the MAC) and the unverified reader
/// ([`crate::unverified::inspect_layout`], which reports which rule a part breaks)
/// each apply their rules to these parts.
pub(crate) struct Parts<'a> {
    /// `payload SEP timestamp`, exactly as received: the bytes the MAC covers.
    pub(crate) signed: &'a [u8],
    /// The payload text, without the compression marker.
    pub(crate) payload: &'a [u8],
    /// Whether the payload text starts with the compression marker `.`.
    pub(crate) compressed: bool,
    /// The timestamp text.
    pub(crate) timestamp: &'a [u8],
    /// The signature text.
    pub(crate) signature: &'a [u8],
}

/// Splits `token` at its last two `separator`s; `None` when it has fewer than two.
/// Checks nothing else: any part may be empty or not base64url.
pub(crate) fn split(token: &[u8], separator: u8) -> Option<Parts<'_>> {
    let last = token.iter().rposition(|&c| c == separator)?;
    let (signed, sep_signature) = token.split_at(last);
    let middle = signed.iter().rposition(|&c| c == separator)?;
    let (marked_payload, sep_timestamp) = signed.split_at(middle);
    let (compressed, payload) = match marked_payload.strip_prefix(b".") {
        Some(rest) => (true, rest),
        None => (false, marked_payload),
    };
    Some(Parts {
        signed,
        payload,
        compressed,
        timestamp: sep_timestamp.get(1..).unwrap_or_default(),
        signature: sep_signature.get(1..).unwrap_or_default(),
    })
}

/// The token layout shared by every profile: `payload SEP timestamp SEP signature`,
/// with an optional leading `.` marking a compressed payload. It owns the size limit,
/// the shape checks, the MAC and (de)compression; what the timestamp means and how the
/// payload is serialized belong to the profile.
pub(crate) struct Framer<A: Algorithm> {
    signer: Signer<A>,
    pub(crate) max_token_len: usize,
    pub(crate) compression: Option<Inflate>,
    layout: Layout,
}

/// How a profile spells the separator and the timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// itsdangerous (native and Flask): `.` and the big-endian bytes in base64url.
    Dotted,
    /// `django.core.signing`: `:` and base62 digits.
    #[cfg(feature = "django")]
    Colon62,
}

impl Layout {
    const fn separator(self) -> u8 {
        match self {
            Self::Dotted => b'.',
            #[cfg(feature = "django")]
            Self::Colon62 => b':',
        }
    }

    /// The timestamp text has its one spelling (checked before the MAC).
    fn timestamp_shape_ok(self, text: &[u8]) -> bool {
        match self {
            Self::Dotted => {
                (2..=encoding::encoded_len(MAX_TIMESTAMP_BYTES)).contains(&text.len())
                    && encoding::is_canonical(text)
            }
            #[cfg(feature = "django")]
            Self::Colon62 => encoding::is_canonical_base62(text),
        }
    }

    fn decode_timestamp(self, text: &[u8]) -> Option<u64> {
        match self {
            Self::Dotted => encoding::decode_timestamp(text),
            #[cfg(feature = "django")]
            Self::Colon62 => encoding::decode_base62(text),
        }
    }

    fn encoded_timestamp_len(self, value: u64) -> usize {
        match self {
            Self::Dotted => encoding::encoded_timestamp_len(value),
            #[cfg(feature = "django")]
            Self::Colon62 => encoding::encoded_base62_len(value),
        }
    }

    fn encode_timestamp_append(self, value: u64, out: &mut Vec<u8>) {
        match self {
            Self::Dotted => encoding::encode_timestamp_append(value, out),
            #[cfg(feature = "django")]
            Self::Colon62 => encoding::encode_base62_append(value, out),
        }
    }
}

/// A token whose shape and signature have been checked.
pub(crate) struct Opened<'a> {
    /// The payload text, without the compression marker.
    payload: &'a [u8],
    compressed: bool,
    /// The signed timestamp value.
    pub(crate) timestamp: u64,
    pub(crate) key_used: KeyUsed,
}

impl<A: Algorithm> Framer<A> {
    pub(crate) fn new(
        signer: Signer<A>,
        max_token_len: usize,
        compression: Option<Inflate>,
    ) -> Self {
        Self {
            signer,
            max_token_len,
            compression,
            layout: Layout::Dotted,
        }
    }

    /// The same framer with another separator and timestamp spelling.
    #[cfg(feature = "django")]
    pub(crate) fn with_layout(mut self, layout: Layout) -> Self {
        self.layout = layout;
        self
    }

    /// Length of an encoded signature.
    const SIGNATURE_TEXT_LEN: usize = encoding::encoded_len(A::LEN);

    /// Length cap, shape, then the MAC over the exact received bytes, then the
    /// timestamp's canonical form. Nothing else is decoded.
    pub(crate) fn open<'a>(&self, token: &'a [u8]) -> Result<Opened<'a>, Error> {
        let max = self.max_token_len;
        Error::check_len(token.len(), max)?;
        let parts = split(token, self.layout.separator()).ok_or(Error::Malformed)?;
        // The signature has a fixed length.
        if parts.signature.len() != Self::SIGNATURE_TEXT_LEN {
            return Err(Error::Malformed);
        }
        // A compressed payload is read only with compression on (its `.` is not
        // base64url otherwise).
        if parts.compressed && self.compression.is_none() {
            return Err(Error::Malformed);
        }
        let (payload, compressed, timestamp) = (parts.payload, parts.compressed, parts.timestamp);
        // `is_canonical` also rejects any other separator or `.` inside the payload.
        if payload.is_empty()
            || !self.layout.timestamp_shape_ok(timestamp)
            || !encoding::is_canonical(payload)
        {
            return Err(Error::Malformed);
        }
        // The cheap whole-text checks above come first, so that garbage of normal size
        // is refused before anything is decoded.
        let mut sig_buf = [0u8; MAX_SIGNATURE_LEN];
        let signature = sig_buf.get_mut(..A::LEN).ok_or(Error::Malformed)?;
        encoding::decode_exact(parts.signature, signature).ok_or(Error::Malformed)?;

        let key_used = self
            .signer
            .verify(parts.signed, signature)
            .ok_or(Error::InvalidSignature)?;
        let timestamp = self
            .layout
            .decode_timestamp(timestamp)
            .ok_or(Error::Malformed)?;
        Ok(Opened {
            payload,
            compressed,
            timestamp,
            key_used,
        })
    }

    /// The payload bytes of an opened token: base64url-decoded, and inflated within the
    /// limits when it was compressed.
    pub(crate) fn payload(&self, opened: &Opened<'_>) -> Result<Vec<u8>, Error> {
        let bytes = encoding::decode(opened.payload).ok_or(Error::Malformed)?;
        match (opened.compressed, self.compression) {
            #[cfg(feature = "zlib")]
            (true, Some(limits)) => crate::compress::inflate(&bytes, limits),
            (true, _) => Err(Error::Malformed),
            (false, _) => Ok(bytes),
        }
    }

    /// Runs `f` on the payload bytes of an opened token. An uncompressed payload of up
    /// to [`STACK_PAYLOAD_LEN`] bytes is decoded into a stack buffer; any other goes
    /// through [`Framer::payload`].
    pub(crate) fn with_payload<R>(
        &self,
        opened: &Opened<'_>,
        f: impl FnOnce(&[u8]) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let len = encoding::decoded_len(opened.payload.len()).ok_or(Error::Malformed)?;
        if opened.compressed || len > STACK_PAYLOAD_LEN {
            return f(&self.payload(opened)?);
        }
        let mut buf = [0u8; STACK_PAYLOAD_LEN];
        let bytes = buf.get_mut(..len).ok_or(Error::Malformed)?;
        encoding::decode_exact(opened.payload, bytes).ok_or(Error::Malformed)?;
        f(bytes)
    }

    /// Makes a token of the payload bytes and timestamp, compressing the payload when
    /// compression is on and it saves more than one byte.
    ///
    /// When the payload's buffer has room for the token and the payload side by side
    /// (a typical session, thanks to [`ENCODE_BUFFER_LEN`]), the token is built in that
    /// same allocation: the bytes are moved right, behind the room their base64 text
    /// takes, and encoded into that room. Otherwise the token gets an allocation of its
    /// exact length.
    ///
    /// [`ENCODE_BUFFER_LEN`]: crate::codec::ENCODE_BUFFER_LEN
    pub(crate) fn seal(&self, payload: Vec<u8>, timestamp: u64) -> Result<String, Error> {
        self.seal_compressing(payload, timestamp, self.compression.is_some())
    }

    /// Like [`Framer::seal`], compressing when `compress` is set, whether or not this
    /// framer reads compressed tokens (Django reads them whatever `compress` it writes
    /// with).
    pub(crate) fn seal_compressing(
        &self,
        payload: Vec<u8>,
        timestamp: u64,
        compress: bool,
    ) -> Result<String, Error> {
        // Data the decoder cannot read back is refused here, not made into a token.
        json::check_depth(&payload)?;
        #[cfg(feature = "zlib")]
        let deflated = if compress {
            crate::compress::deflate_if_shorter(&payload)
        } else {
            None
        };
        #[cfg(not(feature = "zlib"))]
        let deflated: Option<Vec<u8>> = {
            let _ = compress;
            None
        };
        let (body, marker) = match deflated {
            Some(z) => (z, 1),
            None => (payload, 0),
        };
        if timestamp == 0 {
            return Err(Error::ExpiryOutOfRange);
        }
        let n = body.len();
        let text_end = marker + encoding::encoded_len(n);
        let len = text_end
            + 1
            + self.layout.encoded_timestamp_len(timestamp)
            + 1
            + Self::SIGNATURE_TEXT_LEN;
        let max = self.max_token_len;
        Error::check_len(len, max)?;
        let mut token = if body.capacity() >= len.max(text_end + n) {
            let mut buf = body;
            buf.resize(text_end + n, 0);
            buf.copy_within(..n, text_end);
            let (text, raw) = buf.split_at_mut(text_end);
            // `marker` is 0 or 1 and `text_end - marker` is the base64 length of the `n`
            // bytes in `raw`, so the room exists and is exactly filled.
            #[allow(clippy::expect_used)]
            let text = text
                .get_mut(marker..)
                .expect("the marker is within the text");
            #[allow(clippy::expect_used)]
            encoding::encode_to_slice(raw, text).expect("the text has the base64 length");
            buf.truncate(text_end);
            buf
        } else {
            let mut buf = Vec::with_capacity(len);
            buf.resize(marker, 0);
            encoding::encode_append(&body, &mut buf);
            buf
        };
        if marker == 1 {
            if let Some(first) = token.first_mut() {
                *first = b'.';
            }
        }
        let sep = self.layout.separator();
        token.push(sep);
        self.layout.encode_timestamp_append(timestamp, &mut token);
        let signature = self.signer.sign(&token);
        token.push(sep);
        encoding::encode_append(signature.as_bytes(), &mut token);
        debug_assert_eq!(token.len(), len);
        #[allow(clippy::expect_used)]
        Ok(String::from_utf8(token).expect("base64url text and separators are ASCII"))
    }
}
