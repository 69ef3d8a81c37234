//! Gzip decoding (RFC 1952) over miniz_oxide's raw inflate, sans-IO: bytes in, bytes out.
//!
//! A body is one gzip member, as Salesforce sends (`Content-Encoding: gzip`), or several
//! concatenated (RFC 1952 §2.2): each header is parsed and checked here (header CRC when
//! present; a name or comment longer than 65,535 bytes is refused, as flate2 does), the
//! deflate data is inflated by miniz_oxide, and each trailer is checked (CRC-32 and length).
//! Bytes after a member that do not start another member are an error, not ignored: nothing
//! is silently dropped (flate2's `MultiGzDecoder` behaves the same way).
//!
//! Why not flate2: its reader adapters and its 16 KB CRC table (slicing-by-16) cost the
//! component about 20 KB; here the CRC tables are built in memory on first use.

use miniz_oxide::inflate::stream::{InflateState, inflate};
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};

/// Why a gzip body cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GzipError(pub &'static str);

impl core::fmt::Display for GzipError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.0)
    }
}

const FHCRC: u8 = 0x02;
const FEXTRA: u8 = 0x04;
const FNAME: u8 = 0x08;
const FCOMMENT: u8 = 0x10;

enum Stage {
    Header,
    Body,
    Trailer,
}

/// The longest file name or comment accepted in a header (flate2's limit).
const MAX_HEADER_FIELD: usize = 65_535;

/// A streaming gzip decoder: [`Gunzip::feed`] compressed bytes, [`Gunzip::read`] decoded
/// ones; [`Gunzip::finish`] says whether the body ended at the end of a member.
pub struct Gunzip {
    stage: Stage,
    /// Compressed bytes received; `pending[start..]` is not consumed yet.
    pending: Vec<u8>,
    start: usize,
    inflate: Box<InflateState>,
    crc: u32,
    len: u32,
    /// Members decoded completely so far.
    members: u32,
    /// The longest name or comment accepted: [`MAX_HEADER_FIELD`].
    max_field: usize,
}

impl Default for Gunzip {
    fn default() -> Self {
        Self::new()
    }
}

impl Gunzip {
    /// A decoder at the start of a member.
    pub fn new() -> Self {
        Self::with_max_header_field(MAX_HEADER_FIELD)
    }

    /// A decoder that refuses a name or comment longer than `max_field` bytes instead of
    /// 65,535: the fuzz target `limits` drives that guard at small limits with it.
    #[doc(hidden)]
    pub fn with_max_header_field(max_field: usize) -> Self {
        Gunzip {
            stage: Stage::Header,
            pending: Vec::new(),
            start: 0,
            inflate: InflateState::new_boxed(DataFormat::Raw),
            crc: !0,
            len: 0,
            members: 0,
            max_field,
        }
    }

    /// Adds compressed bytes.
    pub fn feed(&mut self, input: &[u8]) {
        self.pending.drain(..self.start);
        self.start = 0;
        self.pending.extend_from_slice(input);
    }

    /// Decodes into `out` from the bytes fed so far. Returns how many bytes were written;
    /// 0 with a non-empty `out` means more input is needed or the last member has ended.
    pub fn read(&mut self, out: &mut [u8]) -> Result<usize, GzipError> {
        let mut written = 0;
        loop {
            match self.stage {
                Stage::Header => {
                    match header_len(&self.pending[self.start..], self.members, self.max_field)? {
                        Some(n) => {
                            self.start += n;
                            self.stage = Stage::Body;
                        }
                        None => return Ok(written),
                    }
                }
                Stage::Body => {
                    if written == out.len() {
                        return Ok(written);
                    }
                    let r = inflate(
                        &mut self.inflate,
                        &self.pending[self.start..],
                        &mut out[written..],
                        MZFlush::None,
                    );
                    let produced = &out[written..written + r.bytes_written];
                    self.crc = crc32_update(self.crc, produced);
                    self.len = self.len.wrapping_add(r.bytes_written as u32);
                    written += r.bytes_written;
                    self.start += r.bytes_consumed;
                    match r.status {
                        Ok(MZStatus::StreamEnd) => self.stage = Stage::Trailer,
                        Ok(_) | Err(MZError::Buf) => {
                            if r.bytes_consumed == 0 && r.bytes_written == 0 {
                                return Ok(written);
                            }
                        }
                        Err(_) => return Err(GzipError("corrupt deflate data")),
                    }
                }
                Stage::Trailer => {
                    let t = &self.pending[self.start..];
                    if t.len() < 8 {
                        return Ok(written);
                    }
                    let word = |i: usize| u32::from_le_bytes([t[i], t[i + 1], t[i + 2], t[i + 3]]);
                    if word(0) != !self.crc {
                        return Err(GzipError("crc-32 mismatch in the gzip trailer"));
                    }
                    if word(4) != self.len {
                        return Err(GzipError("length mismatch in the gzip trailer"));
                    }
                    // The member is complete; more bytes must be another member.
                    self.start += 8;
                    self.members += 1;
                    self.crc = !0;
                    self.len = 0;
                    self.inflate.reset(DataFormat::Raw);
                    self.stage = Stage::Header;
                }
            }
        }
    }

    /// Ok when the bytes fed end where a member ends (every member decoded completely).
    pub fn finish(&self) -> Result<(), GzipError> {
        match self.stage {
            Stage::Header if self.members > 0 && self.start == self.pending.len() => Ok(()),
            Stage::Header => Err(GzipError("truncated gzip header")),
            Stage::Body => Err(GzipError("truncated gzip data")),
            Stage::Trailer => Err(GzipError("truncated gzip trailer")),
        }
    }
}

/// Decodes a whole gzip body.
pub fn gunzip(input: &[u8]) -> Result<Vec<u8>, GzipError> {
    gunzip_at_most(input, usize::MAX)
}

/// Decodes a whole gzip body of at most `limit` decoded bytes.
pub fn gunzip_at_most(input: &[u8], limit: usize) -> Result<Vec<u8>, GzipError> {
    let mut g = Gunzip::new();
    g.feed(input);
    let mut out = Vec::new();
    let mut piece = vec![0u8; 64 * 1024];
    loop {
        let n = g.read(&mut piece)?;
        if n == 0 {
            break;
        }
        if out.len() + n > limit {
            return Err(GzipError("the decoded body is larger than the limit"));
        }
        out.extend_from_slice(&piece[..n]);
    }
    g.finish()?;
    Ok(out)
}

/// The length of a complete gzip header at the start of `b`, `None` if more bytes are needed.
/// `members` is how many members came before (for the error when junk follows one);
/// `max_field` the longest name or comment accepted.
fn header_len(b: &[u8], members: u32, max_field: usize) -> Result<Option<usize>, GzipError> {
    if b.len() >= 2 && (b[0] != 0x1f || b[1] != 0x8b) {
        return Err(GzipError(if members == 0 {
            "not a gzip stream (bad magic bytes)"
        } else {
            "bytes after the gzip member that do not start another member"
        }));
    }
    if b.len() < 10 {
        return Ok(None);
    }
    if b[2] != 8 {
        return Err(GzipError("gzip compression method is not deflate"));
    }
    let flags = b[3];
    if flags & 0xe0 != 0 {
        return Err(GzipError("reserved gzip header flags are set"));
    }
    let mut at = 10;
    if flags & FEXTRA != 0 {
        let Some(x) = b.get(at..at + 2) else {
            return Ok(None);
        };
        at += 2 + usize::from(u16::from_le_bytes([x[0], x[1]]));
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            // Scans at most the field's limit, so a header that never ends costs linear time.
            let rest = b.get(at..).unwrap_or_default();
            let window = &rest[..rest.len().min(max_field + 1)];
            match window.iter().position(|&c| c == 0) {
                Some(nul) => at += nul + 1,
                None if window.len() > max_field => {
                    return Err(GzipError("gzip header name or comment is too long"));
                }
                None => return Ok(None),
            }
        }
    }
    if flags & FHCRC != 0 {
        let Some(x) = b.get(at..at + 2) else {
            return Ok(None);
        };
        if u32::from(u16::from_le_bytes([x[0], x[1]])) != !crc32_update(!0, &b[..at]) & 0xffff {
            return Err(GzipError("gzip header crc mismatch"));
        }
        at += 2;
    }
    Ok((b.len() >= at).then_some(at))
}

/// CRC-32 (IEEE) tables for slicing-by-8, built on first use: 8 KB of memory instead of
/// 8 KB (or flate2's 16 KB) of data in the component, and ~4x the speed of a byte-wise loop.
fn crc_tables() -> &'static [[u32; 256]; 8] {
    static TABLES: std::sync::OnceLock<Box<[[u32; 256]; 8]>> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        let mut t = Box::new([[0u32; 256]; 8]);
        for i in 0..256 {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            t[0][i] = c;
        }
        for i in 0..256 {
            for k in 1..8 {
                t[k][i] = (t[k - 1][i] >> 8) ^ t[0][(t[k - 1][i] & 0xff) as usize];
            }
        }
        t
    })
}

fn crc32_update(mut crc: u32, data: &[u8]) -> u32 {
    let t = crc_tables();
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        let a = crc ^ u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
        crc = t[7][(a & 0xff) as usize]
            ^ t[6][((a >> 8) & 0xff) as usize]
            ^ t[5][((a >> 16) & 0xff) as usize]
            ^ t[4][(a >> 24) as usize]
            ^ t[3][usize::from(w[4])]
            ^ t[2][usize::from(w[5])]
            ^ t[1][usize::from(w[6])]
            ^ t[0][usize::from(w[7])];
    }
    for &b in words.remainder() {
        crc = t[0][((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_inflating_past_the_limit_is_refused() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&vec![0u8; 1 << 20]).unwrap();
        let gz = enc.finish().unwrap();
        assert!(gz.len() < 4096);
        assert_eq!(gunzip_at_most(&gz, 1 << 20).unwrap().len(), 1 << 20);
        assert_eq!(
            gunzip_at_most(&gz, (1 << 20) - 1).unwrap_err().0,
            "the decoded body is larger than the limit"
        );
    }
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn crc_matches_the_standard_check_value() {
        assert_eq!(!crc32_update(!0, b"123456789"), 0xcbf4_3926);
        // Every split point of the 8-byte loop and its remainder gives the same value.
        let data: Vec<u8> = (0..100u8).collect();
        let whole = crc32_update(!0, &data);
        for at in 0..data.len() {
            assert_eq!(
                crc32_update(crc32_update(!0, &data[..at]), &data[at..]),
                whole
            );
        }
        assert_eq!(!crc32_update(!0, b""), 0);
    }

    #[test]
    fn whole_body_round_trips() {
        let data: Vec<u8> = (0..200_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        assert_eq!(gunzip(&gz(&data)).unwrap(), data);
        assert_eq!(gunzip(&gz(b"")).unwrap(), b"");
    }

    #[test]
    fn byte_by_byte_with_small_output_pieces() {
        let data = b"Id,Name\n001000000000001AAA,Acme\n".repeat(500);
        let z = gz(&data);
        let mut g = Gunzip::new();
        let mut out = Vec::new();
        let mut piece = [0u8; 7];
        for b in &z {
            g.feed(std::slice::from_ref(b));
            loop {
                let n = g.read(&mut piece).unwrap();
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&piece[..n]);
            }
        }
        g.finish().unwrap();
        assert_eq!(out, data);
    }

    /// A member with every optional header field; `hcrc` fixes the header CRC's low byte.
    fn member_with_every_field(hcrc_ok: bool) -> Vec<u8> {
        let body = gz(b"hello");
        let mut z = vec![
            0x1f,
            0x8b,
            8,
            FEXTRA | FNAME | FCOMMENT | FHCRC,
            0,
            0,
            0,
            0,
            0,
            255,
        ];
        z.extend_from_slice(&[3, 0, b'a', b'b', b'c']);
        z.extend_from_slice(b"name.csv\0a comment\0");
        let crc = (!crc32_update(!0, &z) & 0xffff) as u16 ^ u16::from(!hcrc_ok);
        z.extend_from_slice(&crc.to_le_bytes());
        z.extend_from_slice(&body[10..]);
        z
    }

    #[test]
    fn header_with_every_optional_field() {
        assert_eq!(gunzip(&member_with_every_field(true)).unwrap(), b"hello");
        assert_eq!(
            gunzip(&member_with_every_field(false)).unwrap_err(),
            GzipError("gzip header crc mismatch")
        );
    }

    #[test]
    fn a_name_longer_than_64k_is_refused_without_waiting_for_its_end() {
        let mut z = vec![0x1f, 0x8b, 8, FNAME, 0, 0, 0, 0, 0, 255];
        z.extend(std::iter::repeat_n(b'n', MAX_HEADER_FIELD));
        let mut g = Gunzip::new();
        g.feed(&z);
        assert_eq!(g.read(&mut [0u8; 16]), Ok(0), "65,535 bytes: still a name");
        g.feed(b"n");
        assert_eq!(
            g.read(&mut [0u8; 16]),
            Err(GzipError("gzip header name or comment is too long"))
        );
    }

    #[test]
    fn the_name_limit_can_be_made_smaller() {
        // What the fuzz target `limits` drives at small limits: 100 bytes pass, 101 do not.
        for (len, ok) in [(100, true), (101, false)] {
            let mut z = vec![0x1f, 0x8b, 8, FNAME, 0, 0, 0, 0, 0, 255];
            z.extend(std::iter::repeat_n(b'n', len));
            let mut g = Gunzip::with_max_header_field(100);
            g.feed(&z);
            let read = g.read(&mut [0u8; 16]);
            if ok {
                assert_eq!(read, Ok(0), "{len} bytes: still a name");
            } else {
                assert_eq!(
                    read,
                    Err(GzipError("gzip header name or comment is too long"))
                );
            }
        }
    }

    #[test]
    fn damage_is_reported_not_ignored() {
        let z = gz(b"some text that compresses, some text that compresses");
        assert_eq!(
            gunzip(&z[..z.len() - 3]).unwrap_err(),
            GzipError("truncated gzip trailer")
        );
        assert!(gunzip(&z[..12]).is_err());
        assert!(gunzip(&z[..5]).is_err());
        let mut bad_crc = z.clone();
        let n = bad_crc.len();
        bad_crc[n - 8] ^= 1;
        assert_eq!(
            gunzip(&bad_crc).unwrap_err(),
            GzipError("crc-32 mismatch in the gzip trailer")
        );
        assert!(gunzip(b"plain text, not gzip").is_err());
        let mut bad_method = z.clone();
        bad_method[2] = 7;
        assert!(gunzip(&bad_method).is_err());
    }

    #[test]
    fn concatenated_members_are_all_decoded_and_junk_after_them_is_an_error() {
        let mut z = gz(b"abc");
        z.extend(gz(b""));
        z.extend(member_with_every_field(true));
        assert_eq!(gunzip(&z).unwrap(), b"abchello");
        // Streaming, with the second member cut at every point.
        for cut in 0..z.len() {
            let mut g = Gunzip::new();
            let mut out = Vec::new();
            let mut piece = [0u8; 5];
            for part in [&z[..cut], &z[cut..]] {
                g.feed(part);
                loop {
                    let n = g.read(&mut piece).unwrap();
                    if n == 0 {
                        break;
                    }
                    out.extend_from_slice(&piece[..n]);
                }
            }
            g.finish().unwrap();
            assert_eq!(out, b"abchello", "cut at {cut}");
        }
        let mut junk = gz(b"abc");
        junk.extend_from_slice(b"junk");
        assert_eq!(
            gunzip(&junk).unwrap_err(),
            GzipError("bytes after the gzip member that do not start another member")
        );
        let mut one_byte = gz(b"abc");
        one_byte.push(0x1f);
        assert_eq!(
            gunzip(&one_byte).unwrap_err(),
            GzipError("truncated gzip header")
        );
    }

    /// Damaged streams (bytes flipped, cut, inserted; a fixed seed) never panic, and whatever
    /// decodes without an error is what flate2's `MultiGzDecoder` decodes from the same bytes.
    #[test]
    fn damaged_streams_agree_with_flate2() {
        use std::io::Read as _;
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let texts: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"Id,Name\n".to_vec(),
            b"Id,Name\n001000000000001AAA,\"Acme, Inc.\"\n".repeat(300),
            (0..5000u32).map(|i| (i * 7 % 256) as u8).collect(),
        ];
        let mut decoded_ok = 0;
        for round in 0..4000 {
            let mut z = gz(&texts[round % texts.len()]);
            match next() % 3 {
                0 => {
                    let at = (next() as usize) % z.len();
                    z[at] ^= 1 << (next() % 8);
                }
                1 => z.truncate((next() as usize) % z.len()),
                _ => {
                    let at = (next() as usize) % z.len();
                    z.insert(at, next() as u8);
                }
            }
            let ours = gunzip(&z);
            let mut theirs = Vec::new();
            let flate = flate2::read::MultiGzDecoder::new(&z[..]).read_to_end(&mut theirs);
            if let Ok(out) = ours {
                decoded_ok += 1;
                assert!(
                    flate.is_ok(),
                    "round {round}: flate2 refused what we decoded"
                );
                assert_eq!(out, theirs, "round {round}");
            }
        }
        // Some damage is harmless (an mtime or OS byte, a flag-free extra byte…).
        assert!(decoded_ok > 0);
    }
}
