//! The latency monitor: a record of the moments the server was slow, and what was slow.
//!
//! Go original: none (go-redis had no latency monitor). Explained in: book chapter "Talking to
//! real clients", section "The latency monitor".
//!
//! Redis's design, kept whole. Whatever can stall the server (a slow command, an expiry cycle,
//! an AOF rewrite, freeing a big value) is an *event* with a name. When one takes at least
//! `latency-monitor-threshold` milliseconds, its duration is a *sample* of that event. An event
//! keeps at most one sample a second (two in the same second keep the larger), the last 160 of
//! them in a ring, and the largest it ever had. `LATENCY LATEST`, `HISTORY`, `DOCTOR` and
//! `GRAPH` read them back.
//!
//! Process-wide, like the log level: the places that time an event (the dispatcher, the
//! expirer, the AOF) are in layers that share no object, and every one of them may call
//! [`record`]. A threshold of 0, the default, turns the monitor off, and then [`record`] costs
//! one atomic load and no lock.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How many samples an event keeps: 160 seconds of history at most, as in Redis.
pub const SAMPLES: usize = 160;

/// One sample: when it was taken and how long the event took.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sample {
    /// The Unix second it was taken in; 0 marks a slot of the ring never written.
    pub time: u64,
    /// How long the event took, in milliseconds.
    pub ms: u64,
}

// ANCHOR: series
/// One event's samples: a ring of the last [`SAMPLES`], and the largest since the last reset.
struct Series {
    samples: [Sample; SAMPLES],
    /// The slot the next sample of a new second goes into: the oldest one.
    next: usize,
    max: u64,
}

impl Series {
    fn new() -> Self {
        Series {
            samples: [Sample::default(); SAMPLES],
            next: 0,
            max: 0,
        }
    }

    /// Adds `ms` taken at Unix second `now`. A second sample in the same second does not take
    /// a slot of its own: the slot keeps the larger, so a burst of slow calls cannot push a
    /// minute of history out of the ring.
    fn add(&mut self, now: u64, ms: u64) {
        self.max = self.max.max(ms);
        let last = &mut self.samples[(self.next + SAMPLES - 1) % SAMPLES];
        if last.time == now {
            last.ms = last.ms.max(ms);
            return;
        }
        self.samples[self.next] = Sample { time: now, ms };
        self.next = (self.next + 1) % SAMPLES;
    }

    /// The samples taken, oldest first.
    fn history(&self) -> Vec<Sample> {
        (0..SAMPLES)
            .map(|i| self.samples[(self.next + i) % SAMPLES])
            .filter(|s| s.time != 0)
            .collect()
    }
}
// ANCHOR_END: series

/// What the monitor knows of one event, for the `LATENCY` subcommands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventHistory {
    /// The event's name (`command`, `expire-cycle`, ...).
    pub name: &'static str,
    /// Its samples, oldest first (never empty: an event exists from its first sample).
    pub samples: Vec<Sample>,
    /// The largest sample since the event was last reset, kept even once the ring has
    /// forgotten it.
    pub max: u64,
}

/// Every event's series, by name. A series is boxed: it is 2.5 KB, and a map node holds
/// several values inline.
struct Monitor {
    events: BTreeMap<&'static str, Box<Series>>,
}

impl Monitor {
    const fn new() -> Self {
        Monitor {
            events: BTreeMap::new(),
        }
    }

    fn add(&mut self, event: &'static str, now: u64, ms: u64) {
        self.events
            .entry(event)
            .or_insert_with(|| Box::new(Series::new()))
            .add(now, ms);
    }

    fn events(&self) -> Vec<EventHistory> {
        self.events
            .iter()
            .map(|(name, series)| EventHistory {
                name,
                samples: series.history(),
                max: series.max,
            })
            .collect()
    }

    /// Forgets the events named, or every event if `names` is empty; answers how many there
    /// were to forget.
    fn reset(&mut self, names: &[&[u8]]) -> usize {
        if names.is_empty() {
            let n = self.events.len();
            self.events.clear();
            return n;
        }
        let mut forgotten = 0;
        for name in names {
            if let Ok(name) = std::str::from_utf8(name)
                && self.events.remove(name).is_some()
            {
                forgotten += 1;
            }
        }
        forgotten
    }
}

/// `latency-monitor-threshold`, in milliseconds; 0: off.
static THRESHOLD_MS: AtomicU64 = AtomicU64::new(0);

static MONITOR: Mutex<Monitor> = Mutex::new(Monitor::new());

/// The monitor, locked. A panic while it was held left, at worst, one sample half written,
/// which is no reason to stop recording: poisoning is ignored.
fn monitor() -> MutexGuard<'static, Monitor> {
    MONITOR.lock().unwrap_or_else(|p| p.into_inner())
}

/// The threshold in milliseconds at or above which an event is recorded; 0 means the monitor
/// is off.
#[inline]
pub fn threshold_ms() -> u64 {
    THRESHOLD_MS.load(Ordering::Relaxed)
}

/// Sets the threshold (`CONFIG SET latency-monitor-threshold`); 0 turns the monitor off.
/// Samples already taken are kept either way, as in Redis.
pub fn set_threshold_ms(ms: u64) {
    THRESHOLD_MS.store(ms, Ordering::Relaxed);
}

// ANCHOR: record
/// Records that `event` took `duration`, if that is at least the threshold and the monitor is
/// on. Durations count in whole milliseconds, rounded down, as Redis counts them.
// `inline`, with the rare part apart: every command calls this, and most calls should cost the
// caller one load and one branch.
#[inline]
pub fn record(event: &'static str, duration: Duration) {
    let threshold = threshold_ms();
    if threshold != 0 && duration.as_millis() >= u128::from(threshold) {
        add_sample(event, duration);
    }
}

#[cold]
fn add_sample(event: &'static str, duration: Duration) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    monitor().add(event, now, duration.as_millis() as u64);
}
// ANCHOR_END: record

/// Every event with samples, by name.
pub fn events() -> Vec<EventHistory> {
    monitor().events()
}

/// Forgets the events named (`LATENCY RESET event ...`), or every event if `names` is empty.
/// Returns how many events were forgotten; a name with no samples counts for nothing.
pub fn reset(names: &[&[u8]]) -> usize {
    monitor().reset(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_keeps_one_sample_the_largest() {
        let mut m = Monitor::new();
        m.add("command", 100, 250);
        m.add("command", 100, 400);
        m.add("command", 100, 300);
        m.add("command", 101, 210);
        let events = m.events();
        assert_eq!(events.len(), 1);
        assert_eq!(
            events[0].samples,
            vec![Sample { time: 100, ms: 400 }, Sample { time: 101, ms: 210 }]
        );
        assert_eq!(events[0].max, 400);
    }

    #[test]
    fn the_ring_keeps_the_last_160_and_the_max_outlives_them() {
        let mut m = Monitor::new();
        m.add("expire-cycle", 1, 999);
        for s in 2..=200 {
            m.add("expire-cycle", s, s);
        }
        let e = &m.events()[0];
        assert_eq!(e.samples.len(), SAMPLES);
        assert_eq!(e.samples[0], Sample { time: 41, ms: 41 });
        assert_eq!(e.samples[SAMPLES - 1], Sample { time: 200, ms: 200 });
        assert!(e.samples.windows(2).all(|w| w[0].time < w[1].time));
        assert_eq!(
            e.max, 999,
            "the all-time max is kept after its sample left the ring"
        );
    }

    #[test]
    fn reset_forgets_events_named_or_all() {
        let mut m = Monitor::new();
        m.add("command", 1, 10);
        m.add("fast-command", 1, 10);
        m.add("expire-cycle", 1, 10);
        assert_eq!(m.reset(&[b"nosuch"]), 0);
        assert_eq!(m.reset(&[b"command", b"command", b"\xff"]), 1);
        let names: Vec<&str> = m.events().iter().map(|e| e.name).collect();
        assert_eq!(names, ["expire-cycle", "fast-command"]);
        assert_eq!(m.reset(&[]), 2);
        assert!(m.events().is_empty());
        // A reset event starts over, all-time max included.
        m.add("command", 2, 5);
        assert_eq!(m.events()[0].max, 5);
    }

    #[test]
    fn the_threshold_decides_what_is_recorded() {
        // The monitor is process-wide: this test uses event names no other test records.
        set_threshold_ms(0);
        record("test-off", Duration::from_secs(5));
        set_threshold_ms(100);
        assert_eq!(threshold_ms(), 100);
        record("test-below", Duration::from_micros(99_999));
        record("test-at", Duration::from_micros(100_999));
        set_threshold_ms(0);
        let names: Vec<&str> = events().iter().map(|e| e.name).collect();
        assert!(
            !names.contains(&"test-off") && !names.contains(&"test-below"),
            "{names:?}"
        );
        let at = events()
            .into_iter()
            .find(|e| e.name == "test-at")
            .expect("recorded");
        assert_eq!(at.max, 100, "whole milliseconds, rounded down");
        assert_eq!(reset(&[b"test-at"]), 1);
    }
}
