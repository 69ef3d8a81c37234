//! RS256's signature: RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2.1, §9.2), our own small
//! signer in place of RustCrypto's `rsa`, whose big-number code cost the component ~43 KB
//! (docs/logins.md, "Size").
//!
//! Numbers are little-endian `u32` limbs, every value as long as the modulus. The private-key
//! operation is a Montgomery exponentiation (CIOS multiplication) with a fixed 4-bit window:
//! the same squarings and multiplications whatever the exponent, the window's table entry
//! picked by reading all 16 entries through masks, the final subtraction of each product
//! chosen by a mask. No branch and no memory index depends on a secret.
//!
//! The operation is blinded: `s = (m·rᵉ)ᵈ · r⁻¹ mod n` for a random `r < n`, with
//! `r⁻¹ = r^(n−p−q)` (Euler: `φ(n) − 1 = n − p − q`). Every signature is checked
//! (`sᵉ = m`) before it is returned: a private exponent that does not match the public key, an
//! `r` that has no inverse, or a fault gives an error, never a wrong signature. Without CRT:
//! a 2048-bit signature is two full exponentiations (one for `d`, one for `r⁻¹`), ~70 ms in a
//! native release build, and a login signs once per session.
//!
//! The key's checks when it is read are cheap (the component reads it on every call): sizes,
//! `e`, and `p·q = n`. Whether `d` matches `e` is found by the check of the first signature,
//! before anything is sent.

use std::hint::black_box;

use sha2::{Digest, Sha256};

/// The DER `DigestInfo` prefix of a SHA-256 hash (RFC 8017 §9.2, note 1).
const SHA256_DIGEST_INFO: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// The moduli accepted, in bits. 512 bits (64 bytes) is above the 62 bytes the encoding of a
/// SHA-256 `DigestInfo` needs (19 + 32 + 11); 4096 is `rsa` 0.9's limit too.
pub const MIN_BITS: usize = 512;
pub const MAX_BITS: usize = 4096;
const _: () = assert!(MIN_BITS / 8 >= SHA256_DIGEST_INFO.len() + 32 + 11);

/// Why a key was refused (nothing of the key itself).
#[derive(Debug, PartialEq, Eq)]
pub enum KeyError {
    /// The modulus is not [`MIN_BITS`]..=[`MAX_BITS`] bits long.
    Size,
    /// Not a consistent two-prime key: even modulus, `e` not odd in 3..2³³, a prime ≤ 1,
    /// `p·q ≠ n`, or `d ≥ n`.
    Inconsistent,
}

/// The signature could not be made or did not check: the private exponent does not match the
/// public key (a damaged key), or a fault.
#[derive(Debug, PartialEq, Eq)]
pub struct SignError;

/// A two-prime RSA private key. No `Debug`; its secret limbs are zeroed when it is dropped.
pub struct PrivateKey {
    n: Vec<u32>,
    e: u64,
    /// The private exponent, as long as `n`.
    d: Vec<u32>,
    /// `n − p − q` (= φ(n) − 1, the exponent of an inverse), as long as `n`.
    inverse_exponent: Vec<u32>,
    /// The modulus's length in bytes (the signature's length).
    len: usize,
}

impl Drop for PrivateKey {
    fn drop(&mut self) {
        self.d.fill(0);
        self.inverse_exponent.fill(0);
        black_box((&self.d, &self.inverse_exponent));
    }
}

impl PrivateKey {
    /// The key from the big-endian magnitudes of its modulus, public and private exponents and
    /// primes (leading zero bytes allowed).
    pub fn from_be_bytes(
        n: &[u8],
        e: &[u8],
        d: &[u8],
        p: &[u8],
        q: &[u8],
    ) -> Result<Self, KeyError> {
        let n = limbs(n, usize::MAX).ok_or(KeyError::Size)?;
        let bits = n.len() * 32 - n.last().map_or(32, |top| top.leading_zeros() as usize);
        if !(MIN_BITS..=MAX_BITS).contains(&bits) {
            return Err(KeyError::Size);
        }
        let size = n.len();
        let e = limbs(e, 2)
            .map(|e| {
                e.iter()
                    .rev()
                    .fold(0, |acc, limb| acc << 32 | u64::from(*limb))
            })
            .filter(|e| *e >= 3 && *e < 1 << 33 && e & 1 == 1)
            .ok_or(KeyError::Inconsistent)?;
        let (d, p, q) = match (limbs(d, size), limbs(p, size), limbs(q, size)) {
            (Some(d), Some(p), Some(q)) => (d, p, q),
            _ => return Err(KeyError::Inconsistent),
        };
        let above_one = |x: &[u32]| x.len() > 1 || x.first().is_some_and(|l| *l > 1);
        if n[0] & 1 == 0 || !above_one(&p) || !above_one(&q) || product(&p, &q) != n {
            return Err(KeyError::Inconsistent);
        }
        let d = padded(d, size);
        // d < n (its subtraction borrows).
        if sub_assign(&mut d.clone(), &n) != 1 {
            return Err(KeyError::Inconsistent);
        }
        // n − p − q ≥ 0: p·q = n with p, q ≥ 2 and n odd.
        let mut inverse_exponent = n.clone();
        sub_assign(&mut inverse_exponent, &p);
        sub_assign(&mut inverse_exponent, &q);
        Ok(PrivateKey {
            len: bits.div_ceil(8),
            n,
            e,
            d,
            inverse_exponent,
        })
    }

    /// Whether the two keys have the same public key (modulus and public exponent).
    pub fn same_public_key(&self, other: &PrivateKey) -> bool {
        self.n == other.n && self.e == other.e
    }

    /// The RSASSA-PKCS1-v1_5 SHA-256 signature of `message`, `len` bytes, blinded with fresh
    /// random numbers (the signature does not depend on them).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        self.sign_blinded(message, &random_bytes(self.len - 1))
    }

    /// [`sign`](Self::sign) blinded by `r` (big-endian, shorter than the modulus: `r < n`).
    fn sign_blinded(&self, message: &[u8], r: &[u8]) -> Result<Vec<u8>, SignError> {
        let size = self.n.len();
        // EM = 0x00 0x01 FF…FF 0x00 DigestInfo H: below 256^(len−1) ≤ n.
        let mut em = vec![0xff; self.len];
        let t = self.len - SHA256_DIGEST_INFO.len() - 32;
        em[0] = 0;
        em[1] = 1;
        em[t - 1] = 0;
        em[t..t + SHA256_DIGEST_INFO.len()].copy_from_slice(&SHA256_DIGEST_INFO);
        em[t + SHA256_DIGEST_INFO.len()..].copy_from_slice(&Sha256::digest(message));
        let m = padded(limbs(&em, size).ok_or(SignError)?, size);
        let r = match r.len() < self.len {
            true => padded(limbs(r, size).ok_or(SignError)?, size),
            false => return Err(SignError),
        };
        let e = &[self.e as u32, (self.e >> 32) as u32];
        let mont = Montgomery::new(&self.n);
        let blinded = mont.mul_mod(&m, &mont.pow(&r, e));
        let signed = mont.pow(&blinded, &self.d);
        let s = mont.mul_mod(&signed, &mont.pow(&r, &self.inverse_exponent));
        if mont.pow(&s, e) != m {
            return Err(SignError);
        }
        Ok(be_bytes(&s, self.len))
    }
}

/// Random bytes for blinding: `wasi:random/random` in the component; natively (the tests)
/// std's randomly keyed hashers.
#[cfg(target_arch = "wasm32")]
fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = wasi::random::random::get_random_bytes(len as u64);
    bytes.truncate(len);
    bytes
}

#[cfg(not(target_arch = "wasm32"))]
fn random_bytes(len: usize) -> Vec<u8> {
    use std::hash::{BuildHasher, RandomState};
    let mut bytes = Vec::with_capacity(len + 8);
    while bytes.len() < len {
        let word = RandomState::new().hash_one(bytes.len());
        bytes.extend_from_slice(&word.to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

/// The limbs of a big-endian magnitude, without high zero limbs; `None` when more than `max`.
fn limbs(be: &[u8], max: usize) -> Option<Vec<u32>> {
    let mut limbs = vec![0u32; be.len().div_ceil(4)];
    for (i, b) in be.iter().rev().enumerate() {
        limbs[i / 4] |= u32::from(*b) << (8 * (i % 4));
    }
    while limbs.last() == Some(&0) {
        limbs.pop();
    }
    (limbs.len() <= max).then_some(limbs)
}

fn padded(mut limbs: Vec<u32>, size: usize) -> Vec<u32> {
    limbs.resize(size, 0);
    limbs
}

/// `x` as `len` big-endian bytes (`x < 256^len`).
fn be_bytes(x: &[u32], len: usize) -> Vec<u8> {
    (0..len)
        .rev()
        .map(|i| (x.get(i / 4).copied().unwrap_or(0) >> (8 * (i % 4))) as u8)
        .collect()
}

/// `a · b`, without high zero limbs (public values only: the key's check `p·q = n`).
fn product(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = vec![0u32; a.len() + b.len()];
    for (i, &ai) in a.iter().enumerate() {
        let mut carry = 0u64;
        for (j, &bj) in b.iter().enumerate() {
            let x = u64::from(out[i + j]) + u64::from(ai) * u64::from(bj) + carry;
            out[i + j] = x as u32;
            carry = x >> 32;
        }
        out[i + b.len()] = carry as u32;
    }
    while out.last() == Some(&0) {
        out.pop();
    }
    out
}

/// `a −= b` over `a`'s length (`b` no longer); the borrow out (1 when `a < b`).
fn sub_assign(a: &mut [u32], b: &[u32]) -> u32 {
    let mut borrow = 0u64;
    for (i, x) in a.iter_mut().enumerate() {
        let y = u64::from(b.get(i).copied().unwrap_or(0));
        let diff = u64::from(*x).wrapping_sub(y).wrapping_sub(borrow);
        *x = diff as u32;
        borrow = diff >> 63;
    }
    borrow as u32
}

/// `t − n` when `t ≥ n`, else `t` (`t < 2n`, one limb longer than `n`), chosen by a mask.
fn reduce_once(t: &mut [u32], n: &[u32]) {
    let mut diff = t.to_vec();
    // All ones when t < n: keep t.
    let keep = black_box(0u32.wrapping_sub(sub_assign(&mut diff, n)));
    for (x, d) in t.iter_mut().zip(&diff) {
        *x = (*x & keep) | (d & !keep);
    }
}

/// All ones when `a == b`, else zero, without a branch.
fn eq_mask(a: u32, b: u32) -> u32 {
    let x = black_box(a ^ b);
    ((x | x.wrapping_neg()) >> 31).wrapping_sub(1)
}

/// Arithmetic modulo an odd `n` in Montgomery form (`x·R mod n`, `R = 2^(32·limbs)`).
struct Montgomery<'a> {
    n: &'a [u32],
    /// `−n⁻¹ mod 2³²`.
    n0_inv: u32,
    /// `R² mod n`.
    rr: Vec<u32>,
}

impl<'a> Montgomery<'a> {
    fn new(n: &'a [u32]) -> Self {
        // Newton's iteration doubles the correct low bits: 1 → 32 in five steps.
        let mut inv = 1u32;
        for _ in 0..5 {
            inv = inv.wrapping_mul(2u32.wrapping_sub(n[0].wrapping_mul(inv)));
        }
        // R² mod n: 1 doubled 2·32·limbs times, each reduced.
        let mut rr = vec![0u32; n.len() + 1];
        rr[0] = 1;
        for _ in 0..64 * n.len() {
            let mut carry = 0;
            for limb in &mut rr {
                let top = *limb >> 31;
                *limb = *limb << 1 | carry;
                carry = top;
            }
            reduce_once(&mut rr, n);
        }
        rr.truncate(n.len());
        Montgomery {
            n,
            n0_inv: inv.wrapping_neg(),
            rr,
        }
    }

    /// `a·b·R⁻¹ mod n` (CIOS) for `a, b < n`, as long as `n`.
    fn mul(&self, a: &[u32], b: &[u32]) -> Vec<u32> {
        let n = self.n;
        let size = n.len();
        let mut t = vec![0u32; size + 2];
        for &bi in b {
            let mut carry = 0u64;
            for (tj, &aj) in t.iter_mut().zip(a) {
                let x = u64::from(*tj) + u64::from(aj) * u64::from(bi) + carry;
                *tj = x as u32;
                carry = x >> 32;
            }
            let x = u64::from(t[size]) + carry;
            t[size] = x as u32;
            t[size + 1] = (x >> 32) as u32;
            // Add m·n, m chosen to make the low limb zero, and shift down one limb.
            let m = t[0].wrapping_mul(self.n0_inv);
            let mut carry = (u64::from(t[0]) + u64::from(m) * u64::from(n[0])) >> 32;
            for j in 1..size {
                let x = u64::from(t[j]) + u64::from(m) * u64::from(n[j]) + carry;
                t[j - 1] = x as u32;
                carry = x >> 32;
            }
            let x = u64::from(t[size]) + carry;
            t[size - 1] = x as u32;
            t[size] = t[size + 1] + (x >> 32) as u32;
        }
        t.truncate(size + 1);
        reduce_once(&mut t, n);
        t.truncate(size);
        t
    }

    /// `a·b mod n` for `a, b < n`.
    fn mul_mod(&self, a: &[u32], b: &[u32]) -> Vec<u32> {
        self.mul(&self.mul(a, &self.rr), b)
    }

    /// `base^exp mod n` for `base < n`: every 4 bits of `exp` (all its limbs) cost four
    /// squarings and one multiplication by a table entry read through masks.
    fn pow(&self, base: &[u32], exp: &[u32]) -> Vec<u32> {
        let mut one = vec![0u32; self.n.len()];
        one[0] = 1;
        // table[i] = base^i in Montgomery form.
        let mut table = vec![self.mul(&one, &self.rr), self.mul(base, &self.rr)];
        for i in 2..16 {
            table.push(self.mul(&table[i - 1], &table[1]));
        }
        let mut acc = table[0].clone();
        for limb in exp.iter().rev() {
            for shift in (0..32).step_by(4).rev() {
                for _ in 0..4 {
                    acc = self.mul(&acc, &acc);
                }
                let window = limb >> shift & 15;
                let mut entry = vec![0u32; self.n.len()];
                for (i, candidate) in (0u32..).zip(&table) {
                    let mask = eq_mask(i, window);
                    for (x, c) in entry.iter_mut().zip(candidate) {
                        *x |= c & mask;
                    }
                }
                acc = self.mul(&acc, &entry);
            }
        }
        for entry in &mut table {
            entry.fill(0);
        }
        black_box(&table);
        self.mul(&acc, &one)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::rand_core::{CryptoRng, RngCore};
    use rsa::traits::{PrivateKeyParts, PublicKeyParts};
    use rsa::{BigUint, Pkcs1v15Sign, RsaPrivateKey};

    use super::*;

    /// A seeded generator (splitmix64) for the tests' keys and inputs.
    pub(crate) struct Seeded(pub(crate) u64);

    impl RngCore for Seeded {
        fn next_u32(&mut self) -> u32 {
            self.next_u64() as u32
        }
        fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            for chunk in dest.chunks_mut(8) {
                chunk.copy_from_slice(&self.next_u64().to_le_bytes()[..chunk.len()]);
            }
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rsa::rand_core::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }

    impl CryptoRng for Seeded {}

    impl Seeded {
        fn bytes(&mut self, len: usize) -> Vec<u8> {
            let mut bytes = vec![0; len];
            self.fill_bytes(&mut bytes);
            bytes
        }
    }

    fn ours(key: &RsaPrivateKey) -> PrivateKey {
        let primes = key.primes();
        assert_eq!(primes.len(), 2);
        PrivateKey::from_be_bytes(
            &key.n().to_bytes_be(),
            &key.e().to_bytes_be(),
            &key.d().to_bytes_be(),
            &primes[0].to_bytes_be(),
            &primes[1].to_bytes_be(),
        )
        .unwrap()
    }

    /// `rsa` 0.9's signature (deterministic, unblinded).
    fn theirs(key: &RsaPrivateKey, message: &[u8]) -> Vec<u8> {
        key.sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(message))
            .unwrap()
    }

    fn messages(rng: &mut Seeded) -> Vec<Vec<u8>> {
        let mut messages = vec![
            Vec::new(),
            b"a".to_vec(),
            b"eyJhbGciOiJSUzI1NiJ9.e30".to_vec(),
        ];
        for len in [1, 31, 32, 55, 56, 63, 64, 65, 200, 1000] {
            messages.push(rng.bytes(len));
        }
        messages
    }

    fn fixture_keys() -> Vec<RsaPrivateKey> {
        [
            include_str!("../../tests/fixtures/login/app-key-pkcs8.pem"),
            include_str!("../../tests/fixtures/login/other-key-pkcs8.pem"),
        ]
        .iter()
        .map(|pem| RsaPrivateKey::from_pkcs8_pem(pem).unwrap())
        .collect()
    }

    // 2048-bit signatures take ~1 s each in the unoptimized test build: a few of them, and
    // many of smaller keys.
    #[test]
    fn signatures_are_byte_for_byte_rsa_s_for_the_fixture_keys() {
        let mut rng = Seeded(1);
        for key in fixture_keys() {
            let ours = ours(&key);
            for message in &messages(&mut rng)[1..4] {
                assert_eq!(ours.sign(message).unwrap(), theirs(&key, message));
            }
        }
    }

    #[test]
    fn signatures_are_byte_for_byte_rsa_s_for_generated_keys() {
        let mut rng = Seeded(2);
        for bits in [512, 512, 520, 544, 1024, 2048] {
            let key = RsaPrivateKey::new(&mut rng, bits).unwrap();
            let ours = ours(&key);
            let messages = messages(&mut rng);
            let count = match bits {
                2048 => 1,
                1024 => 3,
                _ => messages.len(),
            };
            for message in &messages[..count] {
                assert_eq!(
                    ours.sign(message).unwrap(),
                    theirs(&key, message),
                    "{bits} bits"
                );
            }
        }
    }

    #[test]
    fn the_blinding_factor_does_not_change_the_signature_and_a_bad_one_is_an_error() {
        let mut rng = Seeded(3);
        let key = RsaPrivateKey::new(&mut rng, 512).unwrap();
        let ours = ours(&key);
        let len = key.size();
        let expected = theirs(&key, b"claims");
        let mut one = vec![0; len - 1];
        *one.last_mut().unwrap() = 1;
        for r in [
            one,
            vec![0xff; len - 1],
            vec![1],
            rng.bytes(len - 1),
            rng.bytes(3),
        ] {
            assert_eq!(ours.sign_blinded(b"claims", &r).unwrap(), expected);
        }
        // No inverse (0, a prime factor): refused by the check, not a wrong signature.
        for r in [vec![0; len - 1], key.primes()[0].to_bytes_be()] {
            assert_eq!(ours.sign_blinded(b"claims", &r), Err(SignError));
        }
        // As long as the modulus: may be ≥ n, refused.
        assert_eq!(
            ours.sign_blinded(b"claims", &rng.bytes(len)),
            Err(SignError)
        );
    }

    #[test]
    fn a_private_exponent_that_does_not_match_is_refused_at_signing() {
        let mut rng = Seeded(4);
        let key = RsaPrivateKey::new(&mut rng, 512).unwrap();
        let [p, q] = [&key.primes()[0], &key.primes()[1]].map(|x| x.to_bytes_be());
        let (n, e) = (key.n().to_bytes_be(), key.e().to_bytes_be());
        let d = key.d().to_bytes_be();
        for at in [0, d.len() / 2, d.len() - 1] {
            let mut damaged = d.clone();
            damaged[at] ^= 0x10;
            let ours = PrivateKey::from_be_bytes(&n, &e, &damaged, &p, &q).unwrap();
            assert_eq!(ours.sign(b"claims"), Err(SignError), "damage at {at}");
        }
        // The public exponent damaged instead (still odd, in range).
        let ours = PrivateKey::from_be_bytes(&n, &[0x01, 0x00, 0x03], &d, &p, &q).unwrap();
        assert_eq!(ours.sign(b"claims"), Err(SignError));
    }

    #[test]
    fn inconsistent_or_out_of_range_keys_are_refused_when_read() {
        let mut rng = Seeded(5);
        let key = RsaPrivateKey::new(&mut rng, 512).unwrap();
        let [p, q] = [&key.primes()[0], &key.primes()[1]].map(|x| x.to_bytes_be());
        let (n, e) = (key.n().to_bytes_be(), key.e().to_bytes_be());
        let d = key.d().to_bytes_be();
        let read = |n: &[u8], e: &[u8], d: &[u8], p: &[u8], q: &[u8]| {
            PrivateKey::from_be_bytes(n, e, d, p, q).map(|_| ())
        };
        assert_eq!(read(&n, &e, &d, &p, &q), Ok(()));
        // Leading zero bytes (DER's sign byte) are fine.
        assert_eq!(
            read(
                &[&[0][..], &n].concat(),
                &e,
                &[&[0, 0][..], &d].concat(),
                &p,
                &q
            ),
            Ok(())
        );
        let bad = Err(KeyError::Inconsistent);
        let long_e = [1, 0, 0, 0, 0, 0, 0, 0, 3];
        for e in [&[][..], &[1], &[2], &[3, 0], &[2, 0, 0, 0, 1], &long_e] {
            assert_eq!(read(&n, e, &d, &p, &q), bad, "e = {e:?}");
        }
        // 2³³ − 1 and 2³² + 1 are in range.
        assert_eq!(read(&n, &[1, 0xff, 0xff, 0xff, 0xff], &d, &p, &q), Ok(()));
        assert_eq!(read(&n, &[1, 0, 0, 0, 1], &d, &p, &q), Ok(()));
        assert_eq!(read(&n, &e, &d, &p, &n), bad, "p·q ≠ n");
        assert_eq!(read(&n, &e, &d, &n, &[1]), bad, "q = 1");
        assert_eq!(read(&n, &e, &d, &[], &n), bad, "p = 0");
        assert_eq!(read(&n, &e, &n, &p, &q), bad, "d = n");
        let long_d = [&[1][..], &[0; 64]].concat();
        assert_eq!(read(&n, &e, &long_d, &p, &q), bad, "d longer than n");
        // An even modulus (2·q′, p = 2).
        let q2 = BigUint::from_bytes_be(&n) >> 1usize;
        let n2 = (&q2 << 1usize).to_bytes_be();
        assert_eq!(read(&n2, &e, &[1], &[2], &q2.to_bytes_be()), bad);
        // Sizes, from factors that need not be prime: p·q of 511, 512, 4096 and 4097 bits.
        for (bits, ok) in [(511, false), (512, true), (4096, true), (4097, false)] {
            let p = (BigUint::from(1u8) << (bits / 2)) + BigUint::from(1u8);
            let q = (BigUint::from(1u8) << (bits - 1 - bits / 2)) + BigUint::from(1u8);
            let n = &p * &q;
            assert_eq!(n.bits(), bits);
            let result = read(
                &n.to_bytes_be(),
                &e,
                &[1],
                &p.to_bytes_be(),
                &q.to_bytes_be(),
            );
            assert_eq!(
                result,
                if ok { Ok(()) } else { Err(KeyError::Size) },
                "{bits}"
            );
        }
    }

    fn big(x: &[u32]) -> BigUint {
        BigUint::from_bytes_be(&be_bytes(x, 4 * x.len()))
    }

    fn small(x: &BigUint, size: usize) -> Vec<u32> {
        padded(limbs(&x.to_bytes_be(), size).unwrap(), size)
    }

    /// Odd moduli of 1 to 9 and 64 limbs: random, all ones, a top limb of 1.
    fn moduli(rng: &mut Seeded) -> Vec<Vec<u32>> {
        let mut moduli = Vec::new();
        for size in (1..=9).chain([64]) {
            let mut random: Vec<u32> = (0..size).map(|_| rng.next_u32()).collect();
            random[0] |= 1;
            random[size - 1] |= 1 << 31;
            let mut short = random.clone();
            short[size - 1] >>= 24;
            short[0] |= 1;
            let mut top_one = vec![0u32; size];
            top_one[0] = 3;
            top_one[size - 1] |= 1;
            moduli.extend([random, short, vec![u32::MAX; size], top_one]);
        }
        moduli
    }

    /// 0, 1, n − 1, n − 2 and random values below n.
    fn values(n: &BigUint, size: usize, rng: &mut Seeded) -> Vec<Vec<u32>> {
        let one = BigUint::from(1u8);
        let mut values = vec![BigUint::from(0u8), one.clone(), n - &one, n - &one - &one];
        for _ in 0..4 {
            values.push(BigUint::from_bytes_be(&rng.bytes(4 * size + 4)) % n);
        }
        values.iter().map(|v| small(v, size)).collect()
    }

    #[test]
    fn montgomery_products_and_r_squared_agree_with_num_bigint_dig() {
        let mut rng = Seeded(6);
        for n in moduli(&mut rng) {
            let size = n.len();
            let big_n = big(&n);
            let r = BigUint::from(1u8) << (32 * size);
            let mont = Montgomery::new(&n);
            assert_eq!(big(&mont.rr), &r * &r % &big_n, "{size} limbs");
            let values = values(&big_n, size, &mut rng);
            for a in &values {
                for b in &values {
                    let product = mont.mul(a, b);
                    assert_eq!(product.len(), size);
                    assert!(big(&product) < big_n);
                    // a·b·R⁻¹·R ≡ a·b
                    assert_eq!(big(&product) * &r % &big_n, big(a) * big(b) % &big_n);
                    assert_eq!(big(&mont.mul_mod(a, b)), big(a) * big(b) % &big_n);
                }
            }
        }
    }

    #[test]
    fn modular_powers_agree_with_num_bigint_dig() {
        let mut rng = Seeded(7);
        for n in moduli(&mut rng) {
            let size = n.len();
            let big_n = big(&n);
            let mont = Montgomery::new(&n);
            let values = values(&big_n, size, &mut rng);
            // Exponents: 0, 1, n − 1 and random ones of 1 and 2 limbs and as long as n.
            let mut exponents = vec![
                vec![0],
                vec![1],
                small(&(&big_n - BigUint::from(1u8)), size),
            ];
            exponents.push(vec![rng.next_u32()]);
            exponents.push(vec![rng.next_u32(), rng.next_u32()]);
            exponents.push((0..size).map(|_| rng.next_u32()).collect());
            // 64 limbs: the largest base and a random one, to the largest exponent and a short
            // one.
            let (values, exponents) = match size {
                64 => (&values[2..5][..], &exponents[2..4]),
                _ => (&values[..], &exponents[..]),
            };
            for base in values.iter().step_by(if size == 64 { 2 } else { 1 }) {
                for exp in exponents {
                    assert_eq!(
                        big(&mont.pow(base, exp)),
                        big(base).modpow(&big(exp), &big_n),
                        "{size} limbs"
                    );
                }
            }
        }
    }

    #[test]
    fn byte_and_limb_conversions_round_trip() {
        assert_eq!(limbs(&[], 4), Some(vec![]));
        assert_eq!(
            limbs(&[0, 0, 1, 2, 3, 4, 5], 4),
            Some(vec![0x0203_0405, 0x01])
        );
        assert_eq!(limbs(&[1, 2, 3, 4, 5], 1), None);
        assert_eq!(be_bytes(&[0x0203_0405, 0x01], 6), [0, 1, 2, 3, 4, 5]);
        assert_eq!(eq_mask(7, 7), u32::MAX);
        assert_eq!(eq_mask(7, 6), 0);
        assert_eq!(eq_mask(0, 1 << 31), 0);
    }
}
