//! Replay: reads the AOF back at start-up and hands every command to the caller's closure.
//!
//! Go original: `internal/persistence/replay.go` (`Replay(path, fn)`). Explained in: book
//! chapter 6.
//!
//! Like Go's `Replay`, this module only reads: it parses the records, holds a `MULTI` … `EXEC`
//! block back until its `EXEC` is read, and cuts off a torn tail. It knows no command. The
//! caller's closure applies each command, and the server's closure sends it through the same
//! registry and handlers as a live client (`commands::load::apply_logged`), so there is
//! no second implementation of `SET` that could drift from the first. Nothing replayed is
//! appended back to the file (design invariant 6), so restarting any number of times leaves the
//! file byte for byte as it was.
//!
//! Three kinds of damage are told apart:
//! - a *torn tail*: the file ends in the middle of a record, which a crash during a `write`
//!   leaves. Everything before it was acknowledged (or never was); the torn bytes are reported
//!   and cut off, and the server starts (Redis's `aof-load-truncated yes`);
//! - a `MULTI` with no `EXEC` at the end: the transaction is not applied, and cut off likewise,
//!   so that later appends do not land inside it;
//! - anything malformed *before* the last record: that is not a crash but corruption, and
//!   guessing would silently lose data, so the start stops with the offset and the repair.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::time::Instant;

use anyhow::{Context as _, bail};

use super::{rdb, rewrite};

/// Longest bulk string accepted in the file (Redis's `proto-max-bulk-len`).
const MAX_BULK: u64 = 512 * 1024 * 1024;
/// Most words in one record.
const MAX_ARGS: u64 = 1024 * 1024;

/// Why the parser stopped before the end of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// The file ends inside the record that starts at `offset`: a torn write.
    Truncated {
        /// Where the incomplete record starts.
        offset: u64,
    },
    /// The record starting at `offset` is malformed at `at`.
    Bad {
        /// Where the bad record starts (everything before it is sound).
        offset: u64,
        /// The byte where parsing failed.
        at: u64,
        /// What was wrong.
        what: String,
    },
}

/// One record: its offset in the file and its words.
pub type Record = (u64, Vec<Vec<u8>>);

// ANCHOR: record_reader
/// Reads RESP records (arrays of bulk strings) from an AOF, counting byte offsets.
pub struct RecordReader<R> {
    inner: R,
    pos: u64,
}

impl<R: BufRead> RecordReader<R> {
    /// A reader at offset 0.
    pub fn new(inner: R) -> Self {
        RecordReader { inner, pos: 0 }
    }

    /// A reader whose first byte is at `offset` of the file (after an RDB preamble).
    pub fn at(inner: R, offset: u64) -> Self {
        RecordReader { inner, pos: offset }
    }

    /// The offset of the next unread byte.
    pub fn offset(&self) -> u64 {
        self.pos
    }

    /// The next record and the offset it starts at; `Ok(None)` at a clean end of file.
    ///
    /// # Errors
    /// [`ParseError::Truncated`] if the file ends inside a record, [`ParseError::Bad`] if the
    /// bytes are not an array of bulk strings.
    pub fn next_record(&mut self) -> Result<Option<Record>, ParseError> {
        let start = self.pos;
        let Some(line) = self.line(start)? else {
            return Ok(None);
        };
        let bad = |at: u64, what: String| ParseError::Bad {
            offset: start,
            at,
            what,
        };
        if line.first() != Some(&b'*') {
            return Err(bad(start, format!("expected '*', got {}", show(&line))));
        }
        let count = parse_u64(&line[1..]).filter(|n| (1..=MAX_ARGS).contains(n));
        let Some(count) = count else {
            return Err(bad(start, format!("invalid array length {}", show(&line))));
        };
        let mut argv = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let at = self.pos;
            let Some(header) = self.line(start)? else {
                return Err(ParseError::Truncated { offset: start });
            };
            if header.first() != Some(&b'$') {
                return Err(bad(at, format!("expected '$', got {}", show(&header))));
            }
            let Some(len) = parse_u64(&header[1..]).filter(|&n| n <= MAX_BULK) else {
                return Err(bad(at, format!("invalid bulk length {}", show(&header))));
            };
            let at = self.pos;
            let mut data = vec![0u8; len as usize + 2];
            self.exact(&mut data, start)?;
            if &data[len as usize..] != b"\r\n" {
                return Err(bad(
                    at + len,
                    "bulk string not followed by CRLF".to_string(),
                ));
            }
            data.truncate(len as usize);
            argv.push(data);
        }
        Ok(Some((start, argv)))
    }

    /// One CRLF-terminated line without its CRLF; `None` at end of file before any byte.
    fn line(&mut self, record: u64) -> Result<Option<Vec<u8>>, ParseError> {
        let mut line = Vec::new();
        // A header line is short; a missing LF within 64 bytes is garbage, not a long header.
        let n = (&mut self.inner)
            .take(64)
            .read_until(b'\n', &mut line)
            .map_err(|e| self.io_error(record, e))?;
        if n == 0 {
            return Ok(None);
        }
        if line.last() != Some(&b'\n') {
            if n < 64 {
                return Err(ParseError::Truncated { offset: record });
            }
            return Err(ParseError::Bad {
                offset: record,
                at: self.pos,
                what: format!("line too long {}", show(&line)),
            });
        }
        self.pos += n as u64;
        if line.len() < 2 || line[line.len() - 2] != b'\r' {
            return Err(ParseError::Bad {
                offset: record,
                at: self.pos - n as u64,
                what: format!("line not ended by CRLF {}", show(&line)),
            });
        }
        line.truncate(line.len() - 2);
        Ok(Some(line))
    }

    fn exact(&mut self, buf: &mut [u8], record: u64) -> Result<(), ParseError> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.inner.read(&mut buf[filled..]) {
                Ok(0) => return Err(ParseError::Truncated { offset: record }),
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.io_error(record, e)),
            }
        }
        self.pos += buf.len() as u64;
        Ok(())
    }

    fn io_error(&self, record: u64, e: io::Error) -> ParseError {
        ParseError::Bad {
            offset: record,
            at: self.pos,
            what: format!("read error: {e}"),
        }
    }
}
// ANCHOR_END: record_reader

fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// A line of the file, quoted for an error message.
fn show(line: &[u8]) -> String {
    let text: String = String::from_utf8_lossy(line).chars().take(40).collect();
    format!("{:?}", text.trim_end())
}

/// What a replay found.
#[derive(Debug, Default, Clone)]
pub struct Loaded {
    /// Records applied (a `MULTI` … `EXEC` block counts its commands, not the markers).
    pub commands: u64,
    /// Commands that answered with an error (applied nothing, as in Redis).
    pub errors: u64,
    /// The first such error, with its offset.
    pub first_error: Option<(u64, String)>,
    /// How many times each command name occurred, in lower case.
    pub by_command: std::collections::BTreeMap<String, u64>,
    /// The file's length once any torn tail is cut off: where appends continue.
    pub size: u64,
    /// A torn tail or unfinished `MULTI` that was (or, when verifying, would be) cut off:
    /// its offset and length.
    pub torn: Option<(u64, u64)>,
    /// The keys of the file's RDB preamble, if it starts with one (`aof-use-rdb-preamble`).
    pub preamble_keys: Option<u64>,
}

/// What to do about a torn tail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TornTail {
    /// Cut it off the file (start-up).
    Truncate,
    /// Only report it (`verify_replay`).
    Report,
}

/// What the caller's closure made of one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// It ran.
    Done,
    /// It answered this error and changed nothing, as it would have for a client. The replay
    /// goes on: Redis loads such a file too, and reports the count.
    Refused(String),
}

// ANCHOR: load
/// Opens the AOF at `path` and replays it (start-up): a torn tail is reported and truncated
/// away. `apply` runs each command, as in [`replay`]. `None`: there is no file yet, which is
/// an empty store.
///
/// # Errors
/// The file cannot be read, `apply` refuses a command outright, or the file is corrupt before
/// its last record.
pub fn load(
    path: &Path,
    apply: impl FnMut(&[Vec<u8>]) -> Result<Applied, String>,
) -> anyhow::Result<Option<Loaded>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            crate::info!("aof", "no AOF at {}: starting empty", path.display());
            return Ok(None);
        }
        Err(e) => return Err(e).with_context(|| format!("opening the AOF {}", path.display())),
    };
    replay(file, path, TornTail::Truncate, apply).map(Some)
}
// ANCHOR_END: load

// ANCHOR: preamble_replay
/// If `file` starts with an RDB preamble (`REDIS`, as a rewrite under `aof-use-rdb-preamble
/// yes` writes it), loads it: each key goes to `apply` as the commands that rebuild it, each
/// database's after a `SELECT`, so the closure stays the one way into the store. Returns the
/// offset the commands begin at (0 without a preamble), with `file` positioned there.
///
/// Its deadlines are kept even if passed, as for the commands: the replay's clock is stopped.
///
/// # Errors
/// The preamble is corrupt or torn (it is written whole and fsynced before the file is
/// renamed into place, so that is damage, never a crash), or `apply` refused a command.
pub fn preamble(
    file: &mut File,
    path: &Path,
    apply: &mut impl FnMut(&[Vec<u8>]) -> Result<Applied, String>,
    loaded: &mut Loaded,
) -> anyhow::Result<u64> {
    let mut magic = [0u8; 5];
    let n = file.read(&mut magic).context("reading the AOF")?;
    file.seek(SeekFrom::Start(0)).context("reading the AOF")?;
    if n < 5 || &magic != b"REDIS" {
        return Ok(0);
    }
    let mut db = 0;
    let summary = rdb::load(&mut *file, |k| {
        let mut failed = None;
        let mut run = |argv: &[&[u8]]| {
            if failed.is_none() {
                let argv: Vec<Vec<u8>> = argv.iter().map(|a| a.to_vec()).collect();
                match apply(&argv) {
                    Ok(Applied::Done) => {}
                    Ok(Applied::Refused(e)) | Err(e) => failed = Some(e),
                }
            }
        };
        if k.db != db {
            run(&[b"SELECT", k.db.to_string().as_bytes()]);
            db = k.db;
        }
        rewrite::entry_commands(&k.key, &k.data, k.deadline_ms, &mut run);
        failed.map_or(Ok(()), Err)
    })
    .map_err(|e| {
        anyhow::anyhow!(
            "Bad RDB preamble in the append only file {} at offset {}: {}. The preamble is written \
             whole before the file is put in place, so this is damage, not a crash: restore the \
             file \
             from a backup.",
            path.display(),
            e.offset,
            e.message
        )
    })?;
    if db != 0 {
        // The commands after a preamble start in database 0, as Redis reads them.
        apply(&[b"SELECT".to_vec(), b"0".to_vec()]).map_err(anyhow::Error::msg)?;
    }
    loaded.preamble_keys = Some(summary.total_keys() as u64);
    file.seek(SeekFrom::Start(summary.length))
        .context("reading the AOF")?;
    Ok(summary.length)
}
// ANCHOR_END: preamble_replay

// ANCHOR: replay
/// Reads every record of `file` and calls `apply` with each command, in file order; the
/// commands of a `MULTI` … `EXEC` block are held back until its `EXEC` has been read, so a
/// transaction cut off by a crash is never applied. `apply` answers `Err` for a command it
/// cannot run at all (unknown, wrong arity): that stops the replay, with the offset.
///
/// # Errors
/// Corruption before the last record, a command `apply` refuses, or an I/O error.
pub fn replay(
    file: File,
    path: &Path,
    torn_tail: TornTail,
    mut apply: impl FnMut(&[Vec<u8>]) -> Result<Applied, String>,
) -> anyhow::Result<Loaded> {
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut loaded = Loaded::default();
    let mut file = file;
    let start = preamble(&mut file, path, &mut apply, &mut loaded)?;
    let mut reader = RecordReader::at(BufReader::with_capacity(1 << 20, file), start);
    let mut multi: Option<(u64, Vec<Record>)> = None;
    let mut last_progress = Instant::now();
    let mut run = |loaded: &mut Loaded, offset: u64, argv: &[Vec<u8>]| -> anyhow::Result<()> {
        let applied = apply(argv).map_err(|e| {
            anyhow::anyhow!(
                "{e} reading the append only file {} at offset {offset}",
                path.display()
            )
        })?;
        loaded.commands += 1;
        *loaded
            .by_command
            .entry(String::from_utf8_lossy(&argv[0]).to_ascii_lowercase())
            .or_default() += 1;
        if let Applied::Refused(e) = applied {
            loaded.errors += 1;
            loaded.first_error.get_or_insert((offset, e));
        }
        Ok(())
    };
    let end = loop {
        let (offset, argv) = match reader.next_record() {
            Ok(Some(record)) => record,
            Ok(None) => break None,
            Err(ParseError::Truncated { offset }) => break Some(offset),
            Err(ParseError::Bad { offset, at, what }) => bail!(
                "Bad file format reading the append only file {} at offset {at} (in the record at \
                 offset {offset}): {what}. Make a backup of the file, then run \
                 `server --check-aof {} --fix` to truncate it at offset {offset} (every command \
                 after it is lost).",
                path.display(),
                path.display()
            ),
        };
        if argv[0].eq_ignore_ascii_case(b"MULTI") {
            multi = Some((offset, Vec::new()));
            continue;
        }
        if argv[0].eq_ignore_ascii_case(b"EXEC") {
            let Some((_, queued)) = multi.take() else {
                bail!(
                    "EXEC without MULTI in the append only file {} at offset {offset}",
                    path.display()
                );
            };
            for (offset, argv) in queued {
                run(&mut loaded, offset, &argv)?;
            }
            continue;
        }
        if let Some((_, queued)) = multi.as_mut() {
            queued.push((offset, argv));
            continue;
        }
        run(&mut loaded, offset, &argv)?;
        if last_progress.elapsed().as_secs() >= 1 && total > 0 {
            last_progress = Instant::now();
            crate::info!(
                "aof",
                "loading: {}% ({} of {} bytes, {} commands)",
                reader.offset() * 100 / total,
                reader.offset(),
                total,
                loaded.commands
            );
        }
    };
    // Where the sound part of the file ends: before a torn record or an unfinished MULTI.
    let good = match (end, &multi) {
        (_, Some((multi_at, _))) => Some(*multi_at),
        (Some(torn_at), None) => Some(torn_at),
        (None, None) => None,
    };
    loaded.size = reader.offset();
    if let Some(good) = good {
        let cut = total.saturating_sub(good);
        loaded.torn = Some((good, cut));
        let what = if multi.is_some() {
            "an unfinished MULTI/EXEC transaction"
        } else {
            "a torn (incomplete) last record"
        };
        if torn_tail == TornTail::Truncate {
            crate::warn!(
                "aof",
                "!!! The AOF {} ends with {what} at offset {good}: truncating {cut} bytes away \
                 (a crash during a write leaves this; nothing acknowledged under appendfsync \
                 always is lost)",
                path.display()
            );
            let f = OpenOptions::new()
                .write(true)
                .open(path)
                .with_context(|| format!("opening {} to truncate it", path.display()))?;
            f.set_len(good)
                .and_then(|()| f.sync_all())
                .with_context(|| format!("truncating {} to {good} bytes", path.display()))?;
        }
        loaded.size = good;
    }
    if let Some((offset, e)) = &loaded.first_error {
        crate::warn!(
            "aof",
            "{} commands in the AOF answered with an error and changed nothing; the first, at \
             offset {offset}: {e}",
            loaded.errors
        );
    }
    Ok(loaded)
}
// ANCHOR_END: replay

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(bytes: &[u8]) -> (Vec<Vec<Vec<u8>>>, Option<ParseError>) {
        let mut r = RecordReader::new(bytes);
        let mut out = Vec::new();
        loop {
            match r.next_record() {
                Ok(Some((_, argv))) => out.push(argv),
                Ok(None) => return (out, None),
                Err(e) => return (out, Some(e)),
            }
        }
    }

    const TWO: &[u8] = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n";

    #[test]
    fn reads_records_and_their_offsets() {
        let mut r = RecordReader::new(TWO);
        assert_eq!(r.next_record().unwrap().unwrap().0, 0);
        assert_eq!(r.next_record().unwrap().unwrap().0, 27);
        assert_eq!(r.next_record().unwrap(), None);
    }

    #[test]
    fn every_cut_of_the_last_record_is_a_torn_tail() {
        for cut in 28..TWO.len() {
            let (records, err) = parse_all(&TWO[..cut]);
            assert_eq!(records.len(), 1, "cut at {cut}");
            assert_eq!(
                err,
                Some(ParseError::Truncated { offset: 27 }),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn garbage_is_corruption_with_its_offset() {
        let mut bytes = TWO.to_vec();
        bytes[31] = b'x'; // the '$' of the second record's first bulk
        let (records, err) = parse_all(&bytes);
        assert_eq!(records.len(), 1);
        assert!(
            matches!(err, Some(ParseError::Bad { offset: 27, .. })),
            "{err:?}"
        );
    }
}
