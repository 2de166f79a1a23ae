//! The one log format: `[timestamp] [area] message`, filtered by `--loglevel`.
//!
//! Explained in: book chapter 1.
//!
//! The latency monitor lives here too ([`latency`]): like the log, it is written from every
//! layer, so it must sit below them all.

pub mod latency;

use std::fs::File;
use std::io::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Log levels, from chattiest to quietest, as `redis.conf` names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Everything.
    Debug = 0,
    /// Useful detail.
    Verbose = 1,
    /// The default.
    Notice = 2,
    /// Problems only.
    Warning = 3,
}

impl Level {
    /// Parses `debug`, `verbose`, `notice` or `warning`.
    pub fn parse(s: &str) -> Option<Level> {
        match s.to_ascii_lowercase().as_str() {
            "debug" => Some(Level::Debug),
            "verbose" => Some(Level::Verbose),
            "notice" => Some(Level::Notice),
            "warning" => Some(Level::Warning),
            _ => None,
        }
    }

    /// The name `CONFIG GET loglevel` answers.
    pub fn name(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Verbose => "verbose",
            Level::Notice => "notice",
            Level::Warning => "warning",
        }
    }
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Notice as u8);

/// Sets the level below which lines are dropped.
pub fn set_level(level: Level) {
    LEVEL.store(level as u8, Ordering::Relaxed);
}

/// True if a line at `level` would be printed.
pub fn enabled(level: Level) -> bool {
    level as u8 >= LEVEL.load(Ordering::Relaxed)
}

/// Prints one line to standard error: `[2026-11-24 10:00:00.123] [area] message`.
pub fn write(level: Level, area: &str, msg: std::fmt::Arguments<'_>) {
    if !enabled(level) {
        return;
    }
    let mut file = FILE.lock().unwrap_or_else(|p| p.into_inner());
    match file.as_mut() {
        // A log line that cannot be written is dropped: there is nowhere left to report it.
        Some(f) => {
            let _ = writeln!(f, "[{}] [{area}] {msg}", timestamp());
        }
        None => eprintln!("[{}] [{area}] {msg}", timestamp()),
    }
}

/// `logfile`: where log lines go instead of standard error (appended, as Redis does).
static FILE: Mutex<Option<File>> = Mutex::new(None);

/// Sends every later log line to `path`, appending.
///
/// # Errors
/// The file cannot be opened for appending.
pub fn set_file(path: &str) -> std::io::Result<()> {
    let f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    *FILE.lock().unwrap_or_else(|p| p.into_inner()) = Some(f);
    Ok(())
}

/// The current UTC time as `YYYY-MM-DD HH:MM:SS.mmm`, computed by hand to stay std-only.
fn timestamp() -> String {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let (secs, millis) = (ms / 1000, ms % 1000);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(mo <= 2);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{m:02}:{s:02}.{millis:03}")
}

/// Logs at notice level: `info!("net", "listening on {}", addr)`.
#[macro_export]
macro_rules! info {
    ($area:expr, $($arg:tt)*) => {
        $crate::log::write($crate::log::Level::Notice, $area, format_args!($($arg)*))
    };
}

/// Logs at warning level.
#[macro_export]
macro_rules! warn {
    ($area:expr, $($arg:tt)*) => {
        $crate::log::write($crate::log::Level::Warning, $area, format_args!($($arg)*))
    };
}

/// Logs at verbose level.
#[macro_export]
macro_rules! verbose {
    ($area:expr, $($arg:tt)*) => {
        $crate::log::write($crate::log::Level::Verbose, $area, format_args!($($arg)*))
    };
}
