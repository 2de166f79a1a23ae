//! The settings a saver follows: the save points (`save 3600 1 300 100`),
//! `rdb-key-save-delay`, and what `SHUTDOWN` said about saving.
//!
//! Go original: none. Explained in: book "RDB snapshots".

use crate::config::Config;

/// One `save <seconds> <changes>` pair: save when at least `changes` changes are unsaved and
/// more than `seconds` have passed since the last save.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SavePoint {
    /// Seconds since the last save.
    pub seconds: i64,
    /// Changes since the last save.
    pub changes: u64,
}

/// Parses a `save` value (`3600 1 300 100`); pairs that do not parse are skipped (the value
/// was checked when it was set).
pub fn save_points(value: &str) -> Vec<SavePoint> {
    let words: Vec<&str> = value.split_whitespace().collect();
    words
        .chunks(2)
        .filter_map(|pair| match pair {
            [s, c] => Some(SavePoint {
                seconds: s.parse().ok()?,
                changes: c.parse().ok()?,
            }),
            _ => None,
        })
        .collect()
}

/// `rdb-key-save-delay` in microseconds; Redis reads a negative value as nanoseconds, which
/// rounds to no delay here.
pub fn key_save_delay(config: &Config) -> u64 {
    config
        .kept
        .get("rdb-key-save-delay")
        .and_then(|v| v.parse::<i64>().ok())
        .map_or(0, |us| us.max(0) as u64)
}

/// What `SHUTDOWN` said about saving.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShutdownSave {
    /// Neither `SAVE` nor `NOSAVE` (or a signal): save if save points are set.
    Default,
    /// `SHUTDOWN SAVE`: save even without save points.
    Save,
    /// `SHUTDOWN NOSAVE`: do not save.
    NoSave,
    /// `SHUTDOWN` saved already: save again only if something changed since.
    Saved,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_points_parse_in_pairs() {
        assert_eq!(
            save_points("3600 1 300 100"),
            vec![
                SavePoint {
                    seconds: 3600,
                    changes: 1
                },
                SavePoint {
                    seconds: 300,
                    changes: 100
                }
            ]
        );
        assert!(save_points("").is_empty());
    }
}
