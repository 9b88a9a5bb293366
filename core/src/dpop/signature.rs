//! ECDSA signature encodings: JWS wants raw `r || s`, platform keystores return DER.

use super::signer::SignerError;

/// Normalises a P-256 ECDSA signature to the 64-byte `r || s` form JWS uses (RFC 7518 §3.4).
pub(crate) fn to_jws(sig: &[u8]) -> Result<[u8; 64], SignerError> {
    if sig.len() == 64 {
        let mut out = [0u8; 64];
        out.copy_from_slice(sig);
        return Ok(out);
    }
    from_der(sig).ok_or_else(|| {
        SignerError::new("the signature is neither 64 raw bytes (r||s) nor a DER ECDSA-Sig-Value for P-256")
    })
}

/// `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }`, DER.
fn from_der(der: &[u8]) -> Option<[u8; 64]> {
    let (tag, body, rest) = tlv(der)?;
    if tag != 0x30 || !rest.is_empty() {
        return None;
    }
    let (tag_r, r, rest) = tlv(body)?;
    let (tag_s, s, rest) = tlv(rest)?;
    if tag_r != 0x02 || tag_s != 0x02 || !rest.is_empty() {
        return None;
    }
    let mut out = [0u8; 64];
    put_scalar(r, &mut out[..32])?;
    put_scalar(s, &mut out[32..])?;
    Some(out)
}

/// One DER tag-length-value; short and long (1-2 byte) length forms.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, input) = input.split_first()?;
    let (&first, mut input) = input.split_first()?;
    let len = match first {
        0..=0x7f => usize::from(first),
        0x81 => {
            let (&b, rest) = input.split_first()?;
            input = rest;
            usize::from(b)
        }
        0x82 => {
            let (b, rest) = input.split_at_checked(2)?;
            input = rest;
            usize::from(u16::from_be_bytes([b[0], b[1]]))
        }
        _ => return None,
    };
    let (value, rest) = input.split_at_checked(len)?;
    Some((tag, value, rest))
}

/// A positive DER INTEGER into a 32-byte big-endian field.
fn put_scalar(int: &[u8], out: &mut [u8]) -> Option<()> {
    if int.is_empty() || int[0] & 0x80 != 0 {
        return None; // negative or empty: not a valid r or s
    }
    let start = int.iter().position(|&b| b != 0).unwrap_or(int.len());
    let digits = &int[start..];
    if digits.len() > out.len() || digits.is_empty() {
        return None;
    }
    let start = out.len() - digits.len();
    out[start..].copy_from_slice(digits);
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn der(r: &[u8], s: &[u8]) -> Vec<u8> {
        let mut body = vec![0x02, r.len() as u8];
        body.extend_from_slice(r);
        body.extend_from_slice(&[0x02, s.len() as u8]);
        body.extend_from_slice(s);
        let mut out = vec![0x30, body.len() as u8];
        out.extend(body);
        out
    }

    #[test]
    fn raw_passes_through() {
        let raw = [7u8; 64];
        assert_eq!(to_jws(&raw).unwrap(), raw);
    }

    #[test]
    fn der_with_leading_zero_and_short_integers() {
        let mut r = vec![0x00];
        r.extend([0xff; 32]); // high bit set: DER adds a zero byte
        let s = [0x01, 0x02]; // short: must be left-padded
        let jws = to_jws(&der(&r, &s)).unwrap();
        assert_eq!(&jws[..32], &[0xff; 32]);
        assert_eq!(&jws[32..62], &[0u8; 30]);
        assert_eq!(&jws[62..], &[1, 2]);
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            vec![],
            vec![0x30, 0x00],
            vec![0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01],
            der(&[0x80], &[1]),  // negative r
            der(&[1; 33], &[1]), // r too long
            {
                let mut v = der(&[1], &[1]);
                v.push(0); // trailing byte
                v
            },
            vec![1u8; 63],
        ] {
            assert!(to_jws(&bad).is_err(), "{bad:?}");
        }
    }
}
