//! The JWT bearer login's assertion: an RS256 JSON Web Token (RFC 7519, RFC 7523) signed with
//! the connected app's RSA private key, whose claims say which app (`iss`, the client id)
//! logs in as which user (`sub`, the username) at which token endpoint (`aud`, its origin),
//! for a short while (`exp`).
//!
//! The key is read once from PEM text (PKCS#8 `BEGIN PRIVATE KEY` or PKCS#1 `BEGIN RSA
//! PRIVATE KEY`). Neither the key nor an assertion ever reaches `Debug` or an error: the
//! errors say what kind of text was given, never any of it.
//!
//! RustCrypto's `rsa` checks the key (its primes make its modulus, its exponents agree) and
//! signs (RSASSA-PKCS1-v1_5, SHA-256). Unwrapping PEM and DER is done here, by a small
//! reader of the few DER elements a key has: `rsa`'s own PEM and DER decoders (the `pem`
//! feature with `der`, `pkcs1`, `pkcs8`, `spki`) cost the component ~32 KB for the same
//! result (docs/logins.md, "Size").

use std::fmt;
use std::rc::Rc;

use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, Pkcs1v15Sign, RsaPrivateKey};
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::wire;

/// How long an assertion is valid: Salesforce refuses an `exp` more than 3 minutes ahead.
pub const ASSERTION_LIFETIME_SECS: u64 = 120;

/// The JOSE header of every assertion (Salesforce's documented form).
const HEADER: &str = r#"{"alg":"RS256"}"#;

/// The DER `DigestInfo` prefix of a SHA-256 hash in an RSASSA-PKCS1-v1_5 signature
/// (RFC 8017 §9.2, note 1): given as bytes, it spares the component `rsa`'s OID encoder.
const SHA256_DIGEST_INFO: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// A connected app's RSA private key, ready to sign assertions (shared, not copied, by
/// clones). `Debug` shows nothing of it.
#[derive(Clone)]
pub struct JwtKey(Rc<RsaPrivateKey>);

impl fmt::Debug for JwtKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JwtKey(<redacted>)")
    }
}

impl PartialEq for JwtKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.n() == other.0.n() && self.0.e() == other.0.e()
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
            .and_then(|rest| rest.split_once("-----"))
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
        .and_then(pkcs1_key)
        .ok_or_else(unreadable)?;
        Ok(JwtKey(Rc::new(key)))
    }

    /// The RS256 signature of `message` (RSASSA-PKCS1-v1_5 over SHA-256). In the component
    /// the private-key operation is blinded with wasi's random numbers (the signature is the
    /// same either way: PKCS#1 v1.5 is deterministic).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        let padding = Pkcs1v15Sign {
            hash_len: Some(32),
            prefix: Box::new(SHA256_DIGEST_INFO),
        };
        let hashed = Sha256::digest(message);
        #[cfg(target_arch = "wasm32")]
        let signed = self.0.sign_with_rng(&mut WasiRandom, padding, &hashed);
        #[cfg(not(target_arch = "wasm32"))]
        let signed = self.0.sign(padding, &hashed);
        signed.map_err(|_| Error::invalid("the JWT private key cannot sign (key too small?)"))
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
        .and_then(|rest| rest.split_once(end.as_str()))
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

/// A two-prime PKCS#1 `RSAPrivateKey`, checked by `rsa` (its primes make its modulus, its
/// exponents agree).
fn pkcs1_key(der: &[u8]) -> Option<RsaPrivateKey> {
    let mut input = der;
    let mut key = der_element(&mut input, SEQUENCE)?;
    if !input.is_empty() || der_element(&mut key, INTEGER)? != [0] {
        return None;
    }
    // modulus, publicExponent, privateExponent, prime1, prime2 (the CRT values that follow
    // are computed again by `rsa`).
    let mut parts = Vec::with_capacity(5);
    for _ in 0..5 {
        let int = der_element(&mut key, INTEGER)?;
        if int.first().is_none_or(|b| b & 0x80 != 0) {
            return None;
        }
        parts.push(BigUint::from_bytes_be(int));
    }
    let mut parts = parts.into_iter();
    let mut next = || parts.next().unwrap_or_default();
    let (n, e, d) = (next(), next(), next());
    RsaPrivateKey::from_components(n, e, d, vec![next(), next()]).ok()
}

/// wasi's random numbers (`wasi:random/random`), for blinding the private-key operation.
#[cfg(target_arch = "wasm32")]
struct WasiRandom;

#[cfg(target_arch = "wasm32")]
impl rsa::rand_core::RngCore for WasiRandom {
    fn next_u32(&mut self) -> u32 {
        wasi::random::random::get_random_u64() as u32
    }

    fn next_u64(&mut self) -> u64 {
        wasi::random::random::get_random_u64()
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let bytes = wasi::random::random::get_random_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rsa::rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

#[cfg(target_arch = "wasm32")]
impl rsa::rand_core::CryptoRng for WasiRandom {}

#[cfg(test)]
mod tests {
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::pkcs8::DecodePrivateKey;

    use super::*;

    const PKCS8: &str = include_str!("../../tests/fixtures/login/app-key-pkcs8.pem");
    const PKCS1: &str = include_str!("../../tests/fixtures/login/app-key-pkcs1.pem");

    fn der(pem: &str, label: &str) -> Vec<u8> {
        pem_body(pem.trim(), label).unwrap().unwrap()
    }

    #[test]
    fn the_key_read_here_is_the_one_rsa_s_own_decoders_read() {
        let ours = pkcs1_key(pkcs8_rsa_key(&der(PKCS8, "PRIVATE KEY")).unwrap()).unwrap();
        assert_eq!(ours, RsaPrivateKey::from_pkcs8_pem(PKCS8).unwrap());
        let ours = pkcs1_key(&der(PKCS1, "RSA PRIVATE KEY")).unwrap();
        assert_eq!(ours, RsaPrivateKey::from_pkcs1_pem(PKCS1).unwrap());
        // CRLF line ends and indentation are whitespace.
        let crlf = PKCS8.replace('\n', "\r\n  ");
        assert!(JwtKey::from_pem(&crlf).is_ok());
    }

    #[test]
    fn every_truncated_or_damaged_key_is_refused_without_a_panic() {
        let pkcs8 = der(PKCS8, "PRIVATE KEY");
        for cut in 0..pkcs8.len() {
            assert!(pkcs8_rsa_key(&pkcs8[..cut]).and_then(pkcs1_key).is_none());
        }
        // Bytes changed all along: refused by the DER reader or by rsa's key checks, except
        // in the CRT values, which are not read (rsa computes them again).
        let original = pkcs1_key(pkcs8_rsa_key(&pkcs8).unwrap()).unwrap();
        for at in (0..pkcs8.len()).step_by(3) {
            let mut damaged = pkcs8.clone();
            damaged[at] ^= 0x5a;
            if let Some(key) = pkcs8_rsa_key(&damaged).and_then(pkcs1_key) {
                assert!(key == original, "damage at {at} accepted as another key");
            }
        }
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
        assert!(pkcs1_key(&multi).is_none());
        // Trailing bytes after the key.
        let mut trailing = der(PKCS1, "RSA PRIVATE KEY");
        trailing.push(0);
        assert!(pkcs1_key(&trailing).is_none());
        // A legacy encrypted PKCS#1 key.
        let legacy = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----";
        let e = JwtKey::from_pem(legacy).unwrap_err();
        assert!(e.to_string().contains("encrypted"), "{e}");
        // No END line.
        let open = PKCS8.replace("-----END PRIVATE KEY-----", "");
        assert!(JwtKey::from_pem(&open).is_err());
    }
}
