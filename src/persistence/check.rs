//! `server --check-aof FILE [--fix]`: checks an AOF's structure and can cut off a damaged end,
//! like Redis's `redis-check-aof`.
//!
//! Go original: none (go-redis had no checker). Explained in: book chapter 6.
//!
//! It checks form only (arrays of bulk strings, `MULTI` matched by `EXEC`), without running
//! anything, so it works on any file, even one whose commands this server does not know. A file
//! that starts with an RDB preamble (`REDIS...`) has that part read through and its checksum
//! checked first; the commands after it are checked as usual.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use anyhow::Context as _;

use super::rdb;
use super::replay::{ParseError, RecordReader};

/// The result of a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The file's size.
    pub size: u64,
    /// Everything before this offset is sound (equal to `size` for a valid file).
    pub ok_up_to: u64,
    /// Complete records seen before `ok_up_to`.
    pub records: u64,
    /// What is wrong at `ok_up_to`, if anything.
    pub problem: Option<String>,
    /// The length of the RDB preamble the file starts with, if it has one
    /// (`aof-use-rdb-preamble`); `Some(0)` if it has one that is damaged.
    pub preamble: Option<u64>,
}

impl Report {
    /// True if the whole file is sound.
    pub fn is_valid(&self) -> bool {
        self.problem.is_none()
    }
}

// Go parity: go-redis had no AOF checker; this follows `redis-check-aof`.
// ANCHOR: check
/// Checks the AOF at `path`.
///
/// # Errors
/// The file cannot be opened or read.
pub fn check(path: &Path) -> anyhow::Result<Report> {
    let mut file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let size = file.metadata()?.len();
    // An RDB preamble is checked whole, checksum included; the commands start after it.
    let mut magic = [0u8; 5];
    let has_preamble = file.read(&mut magic)? == 5 && &magic == b"REDIS";
    file.seek(SeekFrom::Start(0))?;
    let preamble = if has_preamble {
        match rdb::load(&mut file, |_| Ok(())) {
            Ok(summary) => Some(summary.length),
            Err(e) => {
                return Ok(Report {
                    size,
                    ok_up_to: 0,
                    records: 0,
                    problem: Some(format!("the RDB preamble is damaged: {e}")),
                    preamble: Some(0),
                });
            }
        }
    } else {
        None
    };
    let start = preamble.unwrap_or(0);
    file.seek(SeekFrom::Start(start))?;
    let mut reader = RecordReader::at(BufReader::with_capacity(1 << 20, file), start);
    let mut records = 0;
    let mut multi_at: Option<u64> = None;
    let mut problem = None;
    let mut ok_up_to = start;
    loop {
        match reader.next_record() {
            Ok(None) => break,
            Ok(Some((offset, argv))) => {
                records += 1;
                let name = argv[0].to_ascii_uppercase();
                if name == b"MULTI" {
                    if multi_at.is_some() {
                        problem = Some(format!("nested MULTI at offset {offset}"));
                        ok_up_to = multi_at.unwrap_or(offset);
                        break;
                    }
                    multi_at = Some(offset);
                } else if name == b"EXEC" {
                    if multi_at.take().is_none() {
                        problem = Some(format!("EXEC without MULTI at offset {offset}"));
                        ok_up_to = offset;
                        break;
                    }
                    ok_up_to = reader.offset();
                } else if multi_at.is_none() {
                    ok_up_to = reader.offset();
                }
            }
            Err(ParseError::Truncated { offset }) => {
                problem = Some(format!(
                    "the file ends inside the record at offset {offset} (torn write)"
                ));
                ok_up_to = multi_at.unwrap_or(offset);
                break;
            }
            Err(ParseError::Bad { offset, at, what }) => {
                problem = Some(format!("bad format at offset {at}: {what}"));
                ok_up_to = multi_at.unwrap_or(offset);
                break;
            }
        }
    }
    if problem.is_none()
        && let Some(at) = multi_at
    {
        problem = Some(format!("MULTI at offset {at} has no EXEC"));
        ok_up_to = at;
    }
    if problem.is_none() {
        ok_up_to = size;
    }
    Ok(Report {
        size,
        ok_up_to,
        records,
        problem,
        preamble,
    })
}
// ANCHOR_END: check

/// Truncates the file at `path` to `len` bytes and fsyncs it.
///
/// # Errors
/// The file cannot be opened or truncated.
pub fn truncate(path: &Path, len: u64) -> anyhow::Result<()> {
    let f = OpenOptions::new()
        .write(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    f.set_len(len)?;
    f.sync_all()?;
    Ok(())
}

/// The `--check-aof FILE [--fix]` command line: prints the analysis like `redis-check-aof` and
/// returns the process exit code (0: valid or fixed, 1: invalid).
///
/// # Errors
/// The file cannot be read or truncated.
pub fn run(path: &Path, fix: bool) -> anyhow::Result<i32> {
    let report = check(path)?;
    match report.preamble {
        Some(0) => println!("The AOF appears to start with an RDB preamble, and it is damaged."),
        Some(len) => {
            println!(
                "The AOF starts with an RDB preamble of {len} bytes: it is OK, checking the commands after it."
            )
        }
        None => {}
    }
    println!(
        "AOF analyzed: filename={}, size={}, ok_up_to={}, diff={}",
        path.display(),
        report.size,
        report.ok_up_to,
        report.size - report.ok_up_to
    );
    let Some(problem) = &report.problem else {
        println!("AOF {} is valid", path.display());
        return Ok(0);
    };
    println!("AOF {} is not valid: {problem}", path.display());
    if report.preamble == Some(0) {
        // Cutting at the damage would leave nothing: every key lives in the preamble.
        println!(
            "A damaged RDB preamble cannot be fixed by truncation: restore the file from a backup."
        );
        return Ok(1);
    }
    if !fix {
        println!("Use the --fix option to try fixing it.");
        return Ok(1);
    }
    println!(
        "This will shrink the AOF {} from {} bytes, with {} bytes, to {} bytes",
        path.display(),
        report.size,
        report.size - report.ok_up_to,
        report.ok_up_to
    );
    truncate(path, report.ok_up_to)?;
    println!("Successfully truncated AOF {}", path.display());
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_bytes(bytes: &[u8]) -> Report {
        let dir = std::env::temp_dir().join(format!(
            "rust-redis-check-{}-{}",
            std::process::id(),
            bytes.len()
        ));
        std::fs::write(&dir, bytes).unwrap();
        let r = check(&dir).unwrap();
        std::fs::remove_file(&dir).unwrap();
        r
    }

    #[test]
    fn an_unfinished_multi_is_cut_at_the_multi() {
        let mut bytes = b"*1\r\n$4\r\nPING\r\n".to_vec();
        let multi_at = bytes.len() as u64;
        bytes.extend_from_slice(b"*1\r\n$5\r\nMULTI\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n");
        let r = check_bytes(&bytes);
        assert_eq!(r.ok_up_to, multi_at);
        assert!(!r.is_valid());
        bytes.extend_from_slice(b"*1\r\n$4\r\nEXEC\r\n");
        let r = check_bytes(&bytes);
        assert!(r.is_valid(), "{r:?}");
        assert_eq!(r.ok_up_to, r.size);
    }
}
