//! The JWT bearer login's assertion: an RS256 JSON Web Token (RFC 7519, RFC 7523) signed with
//! the connected app's RSA private key, whose claims say which app (`iss`, the client id)
//! logs in as which user (`sub`, the username) at which token endpoint (`aud`, its origin),
//! for a short while (`exp`).
//!
//! The key is read once from PEM text (PKCS#8 `BEGIN PRIVATE KEY` or PKCS#1 `BEGIN RSA
//! PRIVATE KEY`). Neither the key nor an assertion ever reaches `Debug` or an error: the
//! errors say what kind of text was given, never any of it.
//!
//! Unwrapping PEM and DER is done here, by a small reader of the few DER elements a key has;
//! [`rs256`](super::rs256) checks the key (its size, its public exponent, its primes make its
//! modulus) and signs (RSASSA-PKCS1-v1_5, SHA-256). RustCrypto's `rsa` did that before, its
//! big-number code alone ~43 KB of the component; its own PEM and DER decoders would cost
//! ~32 KB more (docs/logins.md, "Size").

use std::fmt;
use std::rc::Rc;

use base64ct::{Base64, Base64UrlUnpadded, Encoding};

use super::rs256::{self, KeyError, PrivateKey};
use crate::error::Error;
use crate::substr;
use crate::wire;

/// How long an assertion is valid: Salesforce refuses an `exp` more than 3 minutes ahead.
pub const ASSERTION_LIFETIME_SECS: u64 = 120;

/// The JOSE header of every assertion (Salesforce's documented form).
const HEADER: &str = r#"{"alg":"RS256"}"#;

/// A connected app's RSA private key, ready to sign assertions (shared, not copied, by
/// clones). `Debug` shows nothing of it.
#[derive(Clone)]
pub struct JwtKey(Rc<PrivateKey>);

impl fmt::Debug for JwtKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JwtKey(<redacted>)")
    }
}

/// Keys are equal when their public keys are.
impl PartialEq for JwtKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.same_public_key(&other.0)
    }
}

impl Eq for JwtKey {}

impl JwtKey {
    /// Reads an RSA private key from PEM text: PKCS#8 (`-----BEGIN PRIVATE KEY-----`) or
    /// PKCS#1 (`-----BEGIN RSA PRIVATE KEY-----`), unencrypted.
    pub fn from_pem(pem: &str) -> Result<Self, Error> {
        let pem = pem.trim();
        let label = pem
            .strip_prefix("-----BEGIN ")
            .and_then(|rest| substr::split_once(rest, "-----"))
            .map(|(label, _)| label)
            .unwrap_or("");
        let pkcs8 = match label {
            "PRIVATE KEY" => true,
            "RSA PRIVATE KEY" => false,
            "ENCRYPTED PRIVATE KEY" => return Err(encrypted()),
            "" => {
                return Err(Error::invalid(
                    "the JWT private key is not PEM text (expected -----BEGIN PRIVATE KEY-----)",
                ));
            }
            other => {
                // Only a label from a fixed set is named: never text of the key.
                let known = [
                    "PUBLIC KEY",
                    "RSA PUBLIC KEY",
                    "CERTIFICATE",
                    "EC PRIVATE KEY",
                    "OPENSSH PRIVATE KEY",
                ];
                return Err(Error::invalid(match known.iter().find(|k| **k == other) {
                    Some(k) => format!(
                        "the JWT private key is a {k}, not an RSA private key \
                         (BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY)"
                    ),
                    None => "the JWT private key is not an RSA private key \
                             (BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY)"
                        .to_string(),
                }));
            }
        };
        let format = if pkcs8 { "PKCS#8" } else { "PKCS#1" };
        let unreadable = || {
            Error::invalid(format!(
                "the JWT private key is {format} PEM but not a readable RSA private key"
            ))
        };
        let der = pem_body(pem, label)?.ok_or_else(unreadable)?;
        let key = if pkcs8 {
            pkcs8_rsa_key(&der)
        } else {
            Some(&der[..])
        }
        .ok_or(KeyError::Inconsistent)
        .and_then(pkcs1_key)
        .map_err(|e| match e {
            KeyError::Size => Error::invalid(format!(
                "the JWT private key's modulus is not {} to {} bits long",
                rs256::MIN_BITS,
                rs256::MAX_BITS
            )),
            KeyError::Inconsistent => unreadable(),
        })?;
        Ok(JwtKey(Rc::new(key)))
    }

    /// The RS256 signature of `message` (RSASSA-PKCS1-v1_5 over SHA-256), blinded with random
    /// numbers (wasi's in the component) and checked with the public key before it is
    /// returned.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        self.0
            .sign(message)
            .map_err(|_| Error::invalid(CANNOT_SIGN))
    }
}

/// The claims of one assertion.
pub struct Claims<'a> {
    /// The connected app's consumer key.
    pub iss: &'a str,
    /// The username to log in as.
    pub sub: &'a str,
    /// The token endpoint's origin, e.g. `https://login.salesforce.com`.
    pub aud: &'a str,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
}

/// The signed assertion `base64url(header).base64url(claims).base64url(signature)`.
/// Holds a credential: never show it.
pub fn assertion(key: &JwtKey, claims: &Claims<'_>) -> Result<String, Error> {
    let mut body = wire::json_object(&[
        ("iss", claims.iss),
        ("sub", claims.sub),
        ("aud", claims.aud),
    ]);
    // `exp` is a NumericDate (a JSON number): appended to the flat string object.
    body.pop();
    body.extend_from_slice(format!(r#","exp":{}}}"#, claims.exp).as_bytes());
    let mut token = Base64UrlUnpadded::encode_string(HEADER.as_bytes());
    token.push('.');
    token.push_str(&Base64UrlUnpadded::encode_string(&body));
    let signature = key.sign(token.as_bytes())?;
    token.push('.');
    token.push_str(&Base64UrlUnpadded::encode_string(&signature));
    Ok(token)
}

/// The error of a key whose signature does not check: its private exponent does not match its
/// public key.
const CANNOT_SIGN: &str = "the JWT private key cannot sign: its private exponent does not match \
                           its public key (a damaged key?)";

fn encrypted() -> Error {
    Error::invalid(
        "the JWT private key is encrypted; give it unencrypted (`openssl pkey -in KEY -out PLAIN`)",
    )
}

/// The DER bytes of a PEM document whose BEGIN line has `label`: `Ok(None)` when its END
/// line or its base64 is missing or broken; an error for a legacy encrypted PKCS#1 key
/// (`Proc-Type: 4,ENCRYPTED` headers).
fn pem_body(pem: &str, label: &str) -> Result<Option<Vec<u8>>, Error> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let Some(body) = pem
        .strip_prefix(begin.as_str())
        .and_then(|rest| substr::split_once(rest, &end))
        .map(|(body, _)| body)
    else {
        return Ok(None);
    };
    if body.contains(':') {
        return Err(encrypted());
    }
    let b64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    Ok(Base64::decode_vec(&b64).ok())
}

/// One DER element with tag `tag` at the front of `input`: its contents, and `input`
/// moved past it. Definite lengths only (DER), up to 3 length bytes.
fn der_element<'a>(input: &mut &'a [u8], tag: u8) -> Option<&'a [u8]> {
    let (&found, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    if found != tag {
        return None;
    }
    let len = match first {
        0..=0x7f => usize::from(first),
        0x81..=0x83 => {
            let n = usize::from(first & 0x7f);
            let (bytes, after) = rest.split_at_checked(n)?;
            rest = after;
            bytes.iter().fold(0, |len, b| len << 8 | usize::from(*b))
        }
        _ => return None,
    };
    let (contents, after) = rest.split_at_checked(len)?;
    *input = after;
    Some(contents)
}

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;
const OBJECT_ID: u8 = 0x06;
/// 1.2.840.113549.1.1.1, rsaEncryption.
const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// The PKCS#1 key inside a PKCS#8 `PrivateKeyInfo` whose algorithm is rsaEncryption.
fn pkcs8_rsa_key(der: &[u8]) -> Option<&[u8]> {
    let mut input = der;
    let mut info = der_element(&mut input, SEQUENCE)?;
    let version = der_element(&mut info, INTEGER)?;
    let mut algorithm = der_element(&mut info, SEQUENCE)?;
    let key = der_element(&mut info, OCTET_STRING)?;
    let rsa = der_element(&mut algorithm, OBJECT_ID)? == RSA_ENCRYPTION;
    (input.is_empty() && matches!(version, [0] | [1]) && rsa).then_some(key)
}

/// A two-prime PKCS#1 `RSAPrivateKey`, checked by [`rs256`] when read (its size, its public
/// exponent, its primes make its modulus) and when it first signs (its private exponent).
fn pkcs1_key(der: &[u8]) -> Result<PrivateKey, KeyError> {
    let mut input = der;
    let key = der_element(&mut input, SEQUENCE).filter(|_| input.is_empty());
    let mut key = key.ok_or(KeyError::Inconsistent)?;
    let mut int =
        || der_element(&mut key, INTEGER).filter(|int| int.first().is_some_and(|b| b & 0x80 == 0));
    // version 0 (two primes); modulus, publicExponent, privateExponent, prime1, prime2. The
    // CRT values that follow are not used.
    match (int(), int(), int(), int(), int(), int()) {
        (Some([0]), Some(n), Some(e), Some(d), Some(p), Some(q)) => {
            PrivateKey::from_be_bytes(n, e, d, p, q)
        }
        _ => Err(KeyError::Inconsistent),
    }
}

#[cfg(test)]
mod tests {
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
    use rsa::{BigUint, Pkcs1v15Sign, RsaPrivateKey};
    use sha2::{Digest, Sha256};

    use super::*;

    const PKCS8: &str = include_str!("../../tests/fixtures/login/app-key-pkcs8.pem");
    const PKCS1: &str = include_str!("../../tests/fixtures/login/app-key-pkcs1.pem");
    const MESSAGE: &[u8] = b"eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIzTVZHOSJ9";

    fn der(pem: &str, label: &str) -> Vec<u8> {
        pem_body(pem.trim(), label).unwrap().unwrap()
    }

    fn pem(label: &str, der: &[u8]) -> String {
        let b64 = Base64::encode_string(der);
        format!("-----BEGIN {label}-----\n{b64}\n-----END {label}-----\n")
    }

    /// `rsa`'s signature of [`MESSAGE`].
    fn rsa_signature(key: &RsaPrivateKey) -> Vec<u8> {
        let hash = Sha256::digest(MESSAGE);
        key.sign(Pkcs1v15Sign::new::<Sha256>(), &hash).unwrap()
    }

    /// A DER element (definite length, up to 2 length bytes).
    fn element(tag: u8, contents: &[u8]) -> Vec<u8> {
        let len = contents.len();
        let mut out = match len {
            0..=0x7f => vec![tag, len as u8],
            0x80..=0xff => vec![tag, 0x81, len as u8],
            _ => vec![tag, 0x82, (len >> 8) as u8, len as u8],
        };
        out.extend_from_slice(contents);
        out
    }

    /// A PKCS#1 `RSAPrivateKey` of the given values (the CRT values zero: not read).
    fn pkcs1_der(values: &[&BigUint; 5]) -> Vec<u8> {
        let int = |x: &BigUint| {
            let mut bytes = x.to_bytes_be();
            if bytes[0] & 0x80 != 0 {
                bytes.insert(0, 0);
            }
            element(INTEGER, &bytes)
        };
        let mut body = element(INTEGER, &[0]);
        for x in values {
            body.extend(int(x));
        }
        for _ in 0..3 {
            body.extend(element(INTEGER, &[0]));
        }
        element(SEQUENCE, &body)
    }

    #[test]
    fn the_key_read_here_is_the_one_rsa_s_own_decoders_read() {
        let theirs = RsaPrivateKey::from_pkcs8_pem(PKCS8).unwrap();
        assert_eq!(theirs, RsaPrivateKey::from_pkcs1_pem(PKCS1).unwrap());
        let expected = rsa_signature(&theirs);
        let ours = pkcs1_key(pkcs8_rsa_key(&der(PKCS8, "PRIVATE KEY")).unwrap()).unwrap();
        assert_eq!(ours.sign(MESSAGE).unwrap(), expected);
        let ours = pkcs1_key(&der(PKCS1, "RSA PRIVATE KEY")).unwrap();
        assert_eq!(ours.sign(MESSAGE).unwrap(), expected);
        assert_eq!(
            JwtKey::from_pem(PKCS8).unwrap(),
            JwtKey::from_pem(PKCS1).unwrap()
        );
        // CRLF line ends and indentation are whitespace.
        let crlf = PKCS8.replace('\n', "\r\n  ");
        assert!(JwtKey::from_pem(&crlf).is_ok());
    }

    /// Changes every third byte of a PKCS#8 key: each damaged key is refused by the DER reader
    /// or the key's checks when read; or, damage in the exponents, refused when signing; or,
    /// damage in the CRT values (not read), the same key signing as the original. Signs with
    /// every key of another public key and every `sample`-th of the others (a 2048-bit
    /// signature takes ~1 s unoptimized). The counts: refused when read, refused when signing,
    /// the same.
    fn damage_all_along(pkcs8: &[u8], sample: usize) -> [usize; 3] {
        let read = |der: &[u8]| {
            pkcs8_rsa_key(der)
                .ok_or(KeyError::Inconsistent)
                .and_then(pkcs1_key)
        };
        for cut in 0..pkcs8.len() {
            assert!(read(&pkcs8[..cut]).is_err());
        }
        let original = read(pkcs8).unwrap();
        let expected = original.sign(MESSAGE).unwrap();
        let mut counts = [0; 3];
        let mut same_public_key = 0;
        for at in (0..pkcs8.len()).step_by(3) {
            let mut damaged = pkcs8.to_vec();
            damaged[at] ^= 0x5a;
            let Ok(key) = read(&damaged) else {
                counts[0] += 1;
                continue;
            };
            if key.same_public_key(&original) {
                same_public_key += 1;
                if same_public_key % sample != 0 {
                    continue;
                }
            }
            match key.sign(MESSAGE) {
                Err(rs256::SignError) => counts[1] += 1,
                Ok(signature) => {
                    assert!(key.same_public_key(&original), "damage at {at}");
                    assert_eq!(signature, expected, "damage at {at} signs otherwise");
                    counts[2] += 1;
                }
            }
        }
        counts
    }

    #[test]
    fn every_truncated_or_damaged_key_is_refused_without_a_panic() {
        damage_all_along(&der(PKCS8, "PRIVATE KEY"), 100);
        // A 512-bit key, every damaged key that is read signing.
        let key = RsaPrivateKey::new(&mut rs256::tests::Seeded(8), 512).unwrap();
        let [at_read, at_signing, same] =
            damage_all_along(key.to_pkcs8_der().unwrap().as_bytes(), 1);
        assert!(
            at_read > 0 && at_signing > 0 && same > 0,
            "{at_read} {at_signing} {same}"
        );
    }

    #[test]
    fn a_damaged_private_exponent_is_refused_at_signing_and_the_error_shows_none_of_the_key() {
        let pkcs1 = der(PKCS1, "RSA PRIVATE KEY");
        let original = JwtKey::from_pem(PKCS1).unwrap();
        // The third INTEGER after the version is d: damage a byte in its middle.
        let mut key = pkcs1.as_slice();
        let mut body = der_element(&mut key, SEQUENCE).unwrap();
        for _ in 0..3 {
            der_element(&mut body, INTEGER).unwrap();
        }
        let d = der_element(&mut body, INTEGER).unwrap();
        let at = pkcs1.len() - body.len() - d.len() / 2;
        let mut damaged = pkcs1.clone();
        damaged[at] ^= 0x01;
        let key = JwtKey::from_pem(&pem("RSA PRIVATE KEY", &damaged)).unwrap();
        assert_eq!(key, original, "the same public key");
        let claims = Claims {
            iss: "app",
            sub: "user@example.com",
            aud: "https://login.salesforce.com",
            exp: 1_767_225_720,
        };
        assert!(assertion(&original, &claims).is_ok());
        match assertion(&key, &claims) {
            Err(Error::InvalidInput(message)) => assert_eq!(message, CANNOT_SIGN),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_modulus_too_short_or_too_long_is_refused_when_read() {
        // Factors need not be prime for these checks: p·q of 511 and 4097 bits.
        let e = BigUint::from(65537u32);
        for bits in [511, 4097] {
            let p = (BigUint::from(1u8) << (bits / 2)) + BigUint::from(1u8);
            let q = (BigUint::from(1u8) << (bits - 1 - bits / 2)) + BigUint::from(1u8);
            let n = &p * &q;
            let der = pkcs1_der(&[&n, &e, &BigUint::from(3u8), &p, &q]);
            let e = JwtKey::from_pem(&pem("RSA PRIVATE KEY", &der)).unwrap_err();
            assert_eq!(
                e.to_string(),
                "invalid input: the JWT private key's modulus is not 512 to 4096 bits long"
            );
        }
        // The same for 512 bits is read.
        let p = (BigUint::from(1u8) << 256usize) + BigUint::from(1u8);
        let q = (BigUint::from(1u8) << 255usize) + BigUint::from(1u8);
        let der = pkcs1_der(&[&(&p * &q), &e, &BigUint::from(3u8), &p, &q]);
        assert!(JwtKey::from_pem(&pem("RSA PRIVATE KEY", &der)).is_ok());
    }

    #[test]
    fn keys_that_are_not_two_prime_rsa_encryption_keys_are_refused() {
        let pkcs8 = der(PKCS8, "PRIVATE KEY");
        // rsaEncryption → RSASSA-PSS (…1.1.10): another algorithm.
        let at = pkcs8
            .windows(RSA_ENCRYPTION.len())
            .position(|w| w == RSA_ENCRYPTION)
            .unwrap();
        let mut pss = pkcs8.clone();
        pss[at + RSA_ENCRYPTION.len() - 1] = 0x0a;
        assert!(pkcs8_rsa_key(&pss).is_none());
        // PKCS#1 version 1 (multi-prime).
        let mut multi = der(PKCS1, "RSA PRIVATE KEY");
        let v = multi
            .windows(3)
            .position(|w| w == [0x02, 0x01, 0x00])
            .unwrap();
        multi[v + 2] = 1;
        assert!(pkcs1_key(&multi).is_err());
        // Trailing bytes after the key.
        let mut trailing = der(PKCS1, "RSA PRIVATE KEY");
        trailing.push(0);
        assert!(pkcs1_key(&trailing).is_err());
        // A legacy encrypted PKCS#1 key.
        let legacy = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----";
        let e = JwtKey::from_pem(legacy).unwrap_err();
        assert!(e.to_string().contains("encrypted"), "{e}");
        // No END line.
        let open = PKCS8.replace("-----END PRIVATE KEY-----", "");
        assert!(JwtKey::from_pem(&open).is_err());
    }
}
