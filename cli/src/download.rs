//! Where downloaded bodies go, so that nothing half-done is ever left behind:
//! - to a file (`--output PATH`, and the files `load` and `query` write): the bytes go to a
//!   partial file beside it (`.NAME.sfbulk-PID.part` in the same folder) which is renamed
//!   to PATH only once complete; on failure it is removed and PATH is untouched;
//! - to stdout: nothing is written until the body is complete. Up to [`MEMORY_LIMIT`] is
//!   held in memory; a larger body is spooled to a file in the temporary folder (`TMPDIR`,
//!   else `/tmp`), copied to stdout once complete and removed. If the spool cannot be
//!   written (disk full), the command fails with nothing on stdout.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::env::Env;
use crate::output::Failure;

/// Most bytes of a body held in memory on its way to stdout.
pub const MEMORY_LIMIT: usize = 64 << 20;

/// A file that appears at its path only when committed.
pub struct AtomicFile {
    target: PathBuf,
    partial: PathBuf,
    out: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Starts writing `target` (as a partial file beside it). A target that cannot be
    /// created is a usage error (exit 2).
    pub fn create(target: &Path) -> Result<Self, Failure> {
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "output".into());
        let partial = target.with_file_name(format!(".{name}.sfbulk-{}.part", std::process::id()));
        let file = File::create(&partial)
            .map_err(|e| Failure::usage(format!("cannot create {}: {e}", target.display())))?;
        Ok(AtomicFile {
            target: target.to_path_buf(),
            partial,
            out: Some(BufWriter::with_capacity(1 << 20, file)),
        })
    }

    /// The path the file will have.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Appends bytes.
    pub fn write(&mut self, data: &[u8]) -> Result<(), Failure> {
        let target = &self.target;
        match self.out.as_mut() {
            Some(out) => out
                .write_all(data)
                .map_err(|e| Failure::runtime(format!("cannot write {}: {e}", target.display()))),
            None => Ok(()),
        }
    }

    /// Flushes, syncs and renames the partial file to the target.
    pub fn commit(mut self) -> Result<(), Failure> {
        let target = self.target.clone();
        let err =
            |e: std::io::Error| Failure::runtime(format!("cannot write {}: {e}", target.display()));
        let Some(out) = self.out.as_mut() else {
            return Ok(());
        };
        out.flush().map_err(err)?;
        out.get_ref().sync_all().map_err(err)?;
        std::fs::rename(&self.partial, &self.target).map_err(err)?;
        // Renamed: nothing left to remove.
        self.out = None;
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        // Not committed: the partial file goes, the target stays as it was.
        if let Some(out) = self.out.take() {
            drop(out);
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

/// A body on its way to stdout: held until complete.
pub struct Held {
    memory: Vec<u8>,
    spool: Option<(File, PathBuf)>,
    dir: PathBuf,
}

impl Held {
    /// Holds in memory, spooling to `TMPDIR` (from `env`, else `/tmp`) past the limit.
    pub fn new(env: &Env) -> Self {
        let dir = env
            .get("TMPDIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/tmp"));
        Held {
            memory: Vec::new(),
            spool: None,
            dir,
        }
    }

    /// Appends bytes.
    pub fn write(&mut self, data: &[u8]) -> Result<(), Failure> {
        if self.spool.is_none() && self.memory.len() + data.len() <= MEMORY_LIMIT {
            self.memory.extend_from_slice(data);
            return Ok(());
        }
        if self.spool.is_none() {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let path = self.dir.join(format!(
                "sfbulk-{}-{}.spool",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            let mut file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(&path)
                .map_err(|e| spool_error(&path, e))?;
            file.write_all(&self.memory)
                .map_err(|e| spool_error(&path, e))?;
            self.memory = Vec::new();
            self.spool = Some((file, path));
        }
        if let Some((file, path)) = self.spool.as_mut() {
            file.write_all(data).map_err(|e| spool_error(path, e))?;
        }
        Ok(())
    }

    /// The whole body to `stdout`.
    pub fn commit(mut self, stdout: &mut dyn Write) -> Result<(), Failure> {
        let out = |e: std::io::Error| Failure::runtime(format!("cannot write to stdout: {e}"));
        match self.spool.as_mut() {
            None => stdout.write_all(&self.memory).map_err(out)?,
            Some((file, path)) => {
                file.seek(SeekFrom::Start(0))
                    .map_err(|e| spool_error(path, e))?;
                let mut buf = vec![0u8; 1 << 20];
                loop {
                    let n = file.read(&mut buf).map_err(|e| spool_error(path, e))?;
                    if n == 0 {
                        break;
                    }
                    stdout.write_all(&buf[..n]).map_err(out)?;
                }
            }
        }
        stdout.flush().map_err(out)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some((_, path)) = self.spool.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn spool_error(path: &Path, e: std::io::Error) -> Failure {
    Failure::runtime(format!(
        "cannot hold the body in {} until it is complete: {e}; nothing was written to stdout",
        path.display()
    ))
}

/// A single-file download's destination: `--output PATH` or stdout.
pub enum Sink {
    /// A file that appears when complete.
    File(AtomicFile),
    /// Stdout, written when complete.
    Stdout(Held),
}

impl Sink {
    /// `--output PATH` when given, else stdout.
    pub fn new(output: Option<&Path>, env: &Env) -> Result<Self, Failure> {
        Ok(match output {
            Some(path) => Sink::File(AtomicFile::create(path)?),
            None => Sink::Stdout(Held::new(env)),
        })
    }

    /// Appends bytes.
    pub fn write(&mut self, data: &[u8]) -> Result<(), Failure> {
        match self {
            Sink::File(f) => f.write(data),
            Sink::Stdout(h) => h.write(data),
        }
    }

    /// The body is complete: rename the file, or write stdout.
    pub fn commit(self, stdout: &mut dyn Write) -> Result<(), Failure> {
        match self {
            Sink::File(f) => f.commit(),
            Sink::Stdout(h) => h.commit(stdout),
        }
    }
}
