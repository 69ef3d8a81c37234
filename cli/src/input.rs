//! Reading the command's input files: whole (`add-batch --file`, uploads) or in pieces
//! (the whole jobs, which read their input twice instead of holding it).

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::output::Failure;

/// Size of the pieces read from result streams.
pub const CHUNK: usize = 1 << 20;

/// Size of the pieces of an input file handed to the component (split, then joined). Each
/// is copied into the component's memory, and the join returns about twice as much: at
/// 1 MiB these copies made ~4 MB of a 100,000-row 2.0 load's peak RSS (BENCHMARKS.md); at
/// 256 KiB the calls still cost nothing measurable.
pub const PIECE: usize = 1 << 18;

/// The bytes of a file, or of stdin for `-`.
pub fn read_input(path: &str) -> Result<Vec<u8>, Failure> {
    let mut data = Vec::new();
    let read = if path == "-" {
        std::io::stdin().read_to_end(&mut data).map(|_| ())
    } else {
        File::open(path).and_then(|mut f| f.read_to_end(&mut data).map(|_| ()))
    };
    read.map_err(|e| Failure::usage(format!("cannot read {path}: {e}")))?;
    Ok(data)
}

/// A file read in pieces of [`PIECE`] bytes.
pub struct Chunks<'a> {
    path: &'a Path,
    file: File,
    buf: Vec<u8>,
}

impl<'a> Chunks<'a> {
    /// Opens `path`; a file that cannot be read is a usage error.
    pub fn open(path: &'a Path) -> Result<Self, Failure> {
        let file = File::open(path)
            .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?;
        Ok(Chunks {
            path,
            file,
            buf: vec![0u8; PIECE],
        })
    }

    /// The next piece, or `None` at the end of the file.
    pub fn next_chunk(&mut self) -> Result<Option<&[u8]>, Failure> {
        let n = self
            .file
            .read(&mut self.buf)
            .map_err(|e| Failure::usage(format!("cannot read {}: {e}", self.path.display())))?;
        Ok((n > 0).then(|| &self.buf[..n]))
    }
}
