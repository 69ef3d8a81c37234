//! Layout check of a binary-attachment batch: a zip archive with `request.txt` at its root.
//!
//! Only the End Of Central Directory record (zip64 included) and the central directory are
//! read; nothing is decompressed. Every read is bounds-checked.

/// End Of Central Directory record.
const EOCD_SIG: u32 = 0x0605_4b50;
const EOCD_LEN: usize = 22;
/// zip64 End Of Central Directory locator, right before the EOCD record.
const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
const ZIP64_LOCATOR_LEN: usize = 20;
/// zip64 End Of Central Directory record.
const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
/// Central directory file header.
const CENTRAL_SIG: u32 = 0x0201_4b50;
const CENTRAL_LEN: usize = 46;
/// Local file header.
const LOCAL_SIG: u32 = 0x0403_4b50;
/// The manifest every attachment batch carries at its root.
const MANIFEST: &[u8] = b"request.txt";

fn bytes<const N: usize>(zip: &[u8], at: usize) -> Option<[u8; N]> {
    zip.get(at..at.checked_add(N)?)?.try_into().ok()
}

fn u16_at(zip: &[u8], at: usize) -> Option<u16> {
    bytes(zip, at).map(u16::from_le_bytes)
}

fn u32_at(zip: &[u8], at: usize) -> Option<u32> {
    bytes(zip, at).map(u32::from_le_bytes)
}

fn u64_at(zip: &[u8], at: usize) -> Option<u64> {
    bytes(zip, at).map(u64::from_le_bytes)
}

/// Where the central directory is and how many entries it has.
struct Directory {
    entries: u64,
    start: usize,
    end: usize,
}

pub(crate) fn check_attachment_zip(zip: &[u8]) -> Result<usize, String> {
    let eocd = find_eocd(zip)?;
    let dir = directory(zip, eocd)?;
    let mut at = dir.start;
    let mut count = 0usize;
    let mut manifest = false;
    let mut nested_manifest: Option<String> = None;
    while (count as u64) < dir.entries {
        let entry = count + 1;
        if u32_at(zip, at) != Some(CENTRAL_SIG) {
            return Err(format!(
                "expected central directory entry {entry} at byte {at}, found something else"
            ));
        }
        let header = |offset: usize| u16_at(zip, at.saturating_add(offset)).map_or(0, usize::from);
        let (name_len, extra_len, comment_len) = (header(28), header(30), header(32));
        let name_start = at.saturating_add(CENTRAL_LEN);
        let name = zip
            .get(name_start..name_start.saturating_add(name_len))
            .ok_or_else(|| {
                format!("expected the name of zip entry {entry}, found the end of the archive")
            })?;
        if name == MANIFEST {
            let local = u32_at(zip, at.saturating_add(42)).map_or(usize::MAX, |o| o as usize);
            if u32_at(zip, local) != Some(LOCAL_SIG) {
                return Err(format!(
                    "expected the local header of request.txt at byte {local}, found something else"
                ));
            }
            manifest = true;
        } else if name.ends_with(b"/request.txt") && nested_manifest.is_none() {
            nested_manifest = Some(String::from_utf8_lossy(name).into_owned());
        }
        at = name_start
            .saturating_add(name_len)
            .saturating_add(extra_len)
            .saturating_add(comment_len);
        if at > dir.end {
            return Err(format!(
                "expected zip entry {entry} inside the central directory, found it running past"
            ));
        }
        count = entry;
    }
    match (manifest, nested_manifest) {
        (true, _) => Ok(count),
        (false, Some(path)) => Err(format!(
            "expected request.txt at the root of the zip, found only {path:?}"
        )),
        (false, None) => Err(format!(
            "expected a request.txt entry at the root of the zip, found none among {count} entries"
        )),
    }
}

/// The last EOCD signature whose comment fits in the archive.
fn find_eocd(zip: &[u8]) -> Result<usize, String> {
    let Some(last) = zip.len().checked_sub(EOCD_LEN) else {
        return Err(format!(
            "expected a zip archive, found only {} bytes",
            zip.len()
        ));
    };
    let first = last.saturating_sub(usize::from(u16::MAX));
    (first..=last)
        .rev()
        .find(|&at| {
            u32_at(zip, at) == Some(EOCD_SIG)
                && u16_at(zip, at + 20)
                    .is_some_and(|comment| at + EOCD_LEN + usize::from(comment) <= zip.len())
        })
        .ok_or_else(|| {
            "expected a zip archive, found no end of central directory record".to_string()
        })
}

fn directory(zip: &[u8], eocd: usize) -> Result<Directory, String> {
    let field16 = |offset: usize| u16_at(zip, eocd + offset).unwrap_or(0);
    let (disk, dir_disk) = (field16(4), field16(6));
    let mut entries = u64::from(field16(10));
    let mut size = u64::from(u32_at(zip, eocd + 12).unwrap_or(0));
    let mut offset = u64::from(u32_at(zip, eocd + 16).unwrap_or(0));
    if entries == u64::from(u16::MAX)
        || size == u64::from(u32::MAX)
        || offset == u64::from(u32::MAX)
    {
        let locator = eocd
            .checked_sub(ZIP64_LOCATOR_LEN)
            .filter(|&at| u32_at(zip, at) == Some(ZIP64_LOCATOR_SIG))
            .ok_or("expected a zip64 end of central directory locator, found none")?;
        let record = u64_at(zip, locator + 8)
            .and_then(|o| usize::try_from(o).ok())
            .filter(|&at| u32_at(zip, at) == Some(ZIP64_EOCD_SIG))
            .ok_or("expected a zip64 end of central directory record, found none")?;
        let field64 = |offset: usize| u64_at(zip, record.saturating_add(offset)).unwrap_or(0);
        (entries, size, offset) = (field64(32), field64(40), field64(48));
    } else if disk != 0 || dir_disk != 0 {
        return Err("expected a single-part zip archive, found a multi-part one".into());
    }
    let start = usize::try_from(offset).unwrap_or(usize::MAX);
    let end = usize::try_from(size)
        .ok()
        .and_then(|s| start.checked_add(s));
    match end {
        Some(end) if end <= zip.len() => Ok(Directory {
            entries,
            start,
            end,
        }),
        _ => Err(format!(
            "expected the central directory ({size} bytes at byte {offset}) inside the {} byte archive, found it past the end",
            zip.len()
        )),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal zip writer (stored entries, CRC left 0: only the layout is checked).
    pub(crate) fn stored_zip(entries: &[(&str, &[u8])], comment: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, data) in entries {
            let offset = out.len() as u32;
            out.extend_from_slice(&LOCAL_SIG.to_le_bytes());
            out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // version, flags, method, time, date
            out.extend_from_slice(&0u32.to_le_bytes()); // crc
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(data);

            central.extend_from_slice(&CENTRAL_SIG.to_le_bytes());
            central.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // made by, needed, flags, method, time, date
            central.extend_from_slice(&0u32.to_le_bytes());
            central.extend_from_slice(&(data.len() as u32).to_le_bytes());
            central.extend_from_slice(&(data.len() as u32).to_le_bytes());
            central.extend_from_slice(&(name.len() as u16).to_le_bytes());
            central.extend_from_slice(&[0; 8]); // extra, comment, disk, internal attributes
            central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let dir_offset = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(&EOCD_SIG.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&dir_offset.to_le_bytes());
        out.extend_from_slice(&(comment.len() as u16).to_le_bytes());
        out.extend_from_slice(comment);
        out
    }

    const MANIFEST_CSV: &[u8] =
        b"Name,ParentId,Body\nattachment1.gif,001xx000003DGb1,#attachment1.gif\n";

    #[test]
    fn zip_with_request_txt_at_the_root() {
        let zip = stored_zip(
            &[
                ("request.txt", MANIFEST_CSV),
                ("attachment1.gif", b"GIF89a"),
                ("subdir/", b""),
            ],
            b"",
        );
        assert_eq!(check_attachment_zip(&zip), Ok(3));
        let commented = stored_zip(
            &[("a.gif", b"x"), ("request.txt", MANIFEST_CSV)],
            b"made by hand PK\x05\x06",
        );
        assert_eq!(check_attachment_zip(&commented), Ok(2));
    }

    #[test]
    fn zip_without_request_txt() {
        let zip = stored_zip(&[("attachment1.gif", b"GIF89a")], b"");
        assert_eq!(
            check_attachment_zip(&zip),
            Err(
                "expected a request.txt entry at the root of the zip, found none among 1 entries"
                    .into()
            )
        );
        let nested = stored_zip(
            &[("batch/request.txt", MANIFEST_CSV), ("batch/a.gif", b"x")],
            b"",
        );
        assert_eq!(
            check_attachment_zip(&nested),
            Err(
                "expected request.txt at the root of the zip, found only \"batch/request.txt\""
                    .into()
            )
        );
        let wrong_case = stored_zip(&[("Request.txt", MANIFEST_CSV)], b"");
        assert!(check_attachment_zip(&wrong_case).is_err());
        let empty = stored_zip(&[], b"");
        assert_eq!(
            check_attachment_zip(&empty),
            Err(
                "expected a request.txt entry at the root of the zip, found none among 0 entries"
                    .into()
            )
        );
    }

    #[test]
    fn garbage_and_truncated_zips_are_refused() {
        assert_eq!(
            check_attachment_zip(b""),
            Err("expected a zip archive, found only 0 bytes".into())
        );
        assert_eq!(
            check_attachment_zip(&[0x42; 4096]),
            Err("expected a zip archive, found no end of central directory record".into())
        );
        let zip = stored_zip(&[("request.txt", MANIFEST_CSV), ("a.gif", b"GIF89a")], b"");
        for len in 0..zip.len() {
            assert!(
                check_attachment_zip(&zip[..len]).is_err(),
                "prefix of {len} bytes"
            );
        }
        // Every single-byte corruption must be refused or accepted, never panic.
        for at in 0..zip.len() {
            for byte in [0x00, 0xFF, 0x50] {
                let mut bad = zip.clone();
                bad[at] = byte;
                let _ = check_attachment_zip(&bad);
            }
        }
        // A directory entry pointing past the end.
        let mut bad = zip.clone();
        let eocd = bad.len() - EOCD_LEN;
        bad[eocd + 16..eocd + 20].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            check_attachment_zip(&bad),
            Err("expected a zip64 end of central directory locator, found none".into())
        );
    }

    #[test]
    fn zip64_directory_is_read() {
        let zip = stored_zip(&[("request.txt", MANIFEST_CSV)], b"");
        let eocd = zip.len() - EOCD_LEN;
        let entries = 1u64;
        let size = u64::from(u32_at(&zip, eocd + 12).unwrap());
        let offset = u64::from(u32_at(&zip, eocd + 16).unwrap());
        let mut out = zip[..eocd].to_vec();
        let record_at = out.len() as u64;
        out.extend_from_slice(&ZIP64_EOCD_SIG.to_le_bytes());
        out.extend_from_slice(&44u64.to_le_bytes());
        out.extend_from_slice(&[45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&entries.to_le_bytes());
        out.extend_from_slice(&entries.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&ZIP64_LOCATOR_SIG.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&record_at.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&EOCD_SIG.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&u16::MAX.to_le_bytes());
        out.extend_from_slice(&u16::MAX.to_le_bytes());
        out.extend_from_slice(&u32::MAX.to_le_bytes());
        out.extend_from_slice(&u32::MAX.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        assert_eq!(check_attachment_zip(&out), Ok(1));
    }
}
