//! `LATENCY`: the latency monitor's events (`LATEST`, `HISTORY`, `RESET`, `DOCTOR`, `GRAPH`)
//! and the per-command latency histograms (`HISTOGRAM`).
//!
//! Go original: none (go-redis had no latency monitor). Explained in: book chapter "Talking to
//! real clients", section "The latency monitor".
//!
//! The events are kept by `log::latency`, process-wide; the histograms by each client beside
//! its `INFO commandstats` figures (`commands::stats`), summed here when asked. Reply shapes
//! and error texts are Redis 7.0's; `DOCTOR` and `GRAPH` are text for people, in our words.

use std::time::{SystemTime, UNIX_EPOCH};

use super::help_reply;
use crate::commands::histogram::LatencyHistogram;
use crate::commands::registry::Subcommand;
use crate::commands::{ClientContext, Shared};
use crate::log::latency::{self, EventHistory};
use crate::protocol::resp::Value;

/// The `LATENCY` subcommands, with Redis's arities.
pub const LATENCY_SUBCOMMANDS: &[Subcommand] = &[
    Subcommand::new("latency|doctor", 2),
    Subcommand::new("latency|graph", 3),
    Subcommand::new("latency|help", 2),
    Subcommand::new("latency|histogram", -2),
    Subcommand::new("latency|history", 3),
    Subcommand::new("latency|latest", 2),
    Subcommand::new("latency|reset", -2),
];

/// `LATENCY LATEST | HISTORY event | RESET [event ...] | DOCTOR | GRAPH event | HISTOGRAM
/// [command ...] | HELP`. The dispatcher has checked the subcommand and its arity.
pub fn latency(shared: &Shared, _: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    let sub = args[0].to_ascii_lowercase();
    let rest = &args[1..];
    match sub.as_slice() {
        b"latest" => Value::Array(latency::events().iter().filter_map(latest).collect()),
        b"history" => match find(&rest[0]) {
            Some(e) => Value::Array(
                e.samples
                    .iter()
                    .map(|s| {
                        Value::Array(vec![
                            Value::Integer(s.time as i64),
                            Value::Integer(s.ms as i64),
                        ])
                    })
                    .collect(),
            ),
            None => Value::Array(vec![]),
        },
        b"reset" => {
            let names: Vec<&[u8]> = rest.iter().map(Vec::as_slice).collect();
            Value::Integer(latency::reset(&names) as i64)
        }
        b"doctor" => {
            Value::Verbatim(doctor(&latency::events(), latency::threshold_ms(), now()).into_bytes())
        }
        b"graph" => match find(&rest[0]) {
            Some(e) => Value::Verbatim(graph(&e, now()).into_bytes()),
            None => Value::error_owned(format!(
                "ERR No samples available for event '{}'",
                String::from_utf8_lossy(&rest[0])
            )),
        },
        b"histogram" => histogram(shared, rest),
        b"help" => help_reply("LATENCY", HELP),
        _ => super::unknown_subcommand("LATENCY", &args[0]),
    }
}

const HELP: &[&str] = &[
    "DOCTOR",
    "    Return a human readable latency analysis report.",
    "GRAPH <event>",
    "    Return an ASCII latency graph for the <event> class.",
    "HISTORY <event>",
    "    Return time-latency samples for the <event> class.",
    "LATEST",
    "    Return the latest latency samples for all events.",
    "RESET [<event> ...]",
    "    Reset latency data of one or more <event> classes.",
    "    (default: reset all data for all event classes)",
    "HISTOGRAM [COMMAND ...]",
    "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
    "    If no commands are specified then all histograms are replied.",
];

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn find(name: &[u8]) -> Option<EventHistory> {
    latency::events()
        .into_iter()
        .find(|e| e.name.as_bytes() == name)
}

/// One event in `LATENCY LATEST`: name, when its last sample was taken, that sample, the max.
fn latest(e: &EventHistory) -> Option<Value> {
    let last = e.samples.last()?;
    Some(Value::Array(vec![
        Value::bulk(e.name),
        Value::Integer(last.time as i64),
        Value::Integer(last.ms as i64),
        Value::Integer(e.max as i64),
    ]))
}

/// What a slow `event` usually means, and where to look next.
fn advice(event: &str) -> String {
    match event {
        "command" => {
            "A command was slow. SLOWLOG GET names it; commands over whole big values (KEYS, \
                      SMEMBERS, LRANGE 0 -1, DEL of a large key) are the usual cause."
                .into()
        }
        "fast-command" => {
            "A command that should take microseconds (flagged fast) was slow: the machine \
                           itself may be overloaded, swapping, or pausing the process."
                .into()
        }
        "expire-cycle" => {
            "Active expiry had many keys, or big values, to delete at once: spread the \
                           expiry times, or split big values into smaller keys."
                .into()
        }
        e if e.starts_with("aof") => {
            "Writing the append-only file was slow: the disk is busy or slow; \
                                      appendfsync everysec waits on it less than always."
                .into()
        }
        e => format!("LATENCY HISTORY {e} lists its samples."),
    }
}

// ANCHOR: doctor
/// `LATENCY DOCTOR`: each event's samples summed up (how many, their average, the worst), with
/// a line on what such an event usually means. `threshold` is the monitor's, `now` the Unix
/// second.
fn doctor(events: &[EventHistory], threshold: u64, now: u64) -> String {
    let mut out = String::new();
    if threshold == 0 {
        out.push_str(
            "The latency monitor is off. CONFIG SET latency-monitor-threshold <milliseconds> turns it \
             on: every event that takes at least that long is then recorded.\n",
        );
        if events.is_empty() {
            return out;
        }
        out.push_str("These samples were recorded while it was on:\n");
    } else if events.is_empty() {
        return format!(
            "No event took {threshold} ms or more since the latency monitor was turned on or reset.\n"
        );
    } else {
        out.push_str(&format!(
            "Events that took {threshold} ms or more (one sample a second, the last 160 kept):\n"
        ));
    }
    for (i, e) in events.iter().enumerate() {
        let n = e.samples.len() as u64;
        let sum: u64 = e.samples.iter().map(|s| s.ms).sum();
        let first = e.samples.first().map_or(now, |s| s.time);
        out.push_str(&format!(
            "\n{}. {}: {n} sample(s), the first {} s ago, average {} ms, worst {} ms.\n   {}\n",
            i + 1,
            e.name,
            now.saturating_sub(first),
            (sum + n / 2) / n.max(1),
            e.max,
            advice(e.name),
        ));
    }
    out
}
// ANCHOR_END: doctor

/// `LATENCY GRAPH event`: Redis's header line, then one bar a sample, oldest first.
fn graph(e: &EventHistory, now: u64) -> String {
    const WIDTH: u64 = 50;
    let high = e.samples.iter().map(|s| s.ms).max().unwrap_or(0);
    let low = e.samples.iter().map(|s| s.ms).min().unwrap_or(0);
    let mut out = format!(
        "{} - high {high} ms, low {low} ms (all time high {} ms)\n{}\n",
        e.name,
        e.max,
        "-".repeat(80)
    );
    for s in &e.samples {
        let bar = (s.ms * WIDTH).div_ceil(high.max(1)).max(1);
        out.push_str(&format!(
            "{:>6}s ago {:>7} ms |{}\n",
            now.saturating_sub(s.time),
            s.ms,
            "#".repeat(bar as usize)
        ));
    }
    out
}

// ANCHOR: histogram_reply
/// `LATENCY HISTOGRAM [command ...]`: for each command named (a container standing for its
/// subcommands too, `client|id` for one of them), or for every command if none is named, the
/// calls counted and their cumulative distribution. Unknown names and commands that have not
/// run are left out.
fn histogram(shared: &Shared, names: &[Vec<u8>]) -> Value {
    let stats = shared.clients.command_stats();
    let entry = |name: &'static str| {
        let h: &LatencyHistogram = &stats.get(name)?.histogram;
        let calls = h.calls();
        let buckets = h
            .cumulative()
            .into_iter()
            .map(|(usec, n)| (int(usec), int(n)))
            .collect();
        (calls > 0).then(|| {
            let fields = vec![
                (Value::bulk("calls"), int(calls)),
                (Value::bulk("histogram_usec"), Value::Map(buckets)),
            ];
            (Value::bulk(name), Value::Map(fields))
        })
    };
    if names.is_empty() {
        return Value::Map(stats.keys().filter_map(|&name| entry(name)).collect());
    }
    let mut out = Vec::new();
    for name in names {
        out.extend(full_names(shared, name).into_iter().filter_map(entry));
    }
    Value::Map(out)
}
// ANCHOR_END: histogram_reply

fn int(n: u64) -> Value {
    Value::Integer(n as i64)
}

/// The full names `name` stands for: `client|id` for itself, `client` for itself and each of
/// its subcommands, nothing if there is no such command.
fn full_names(shared: &Shared, name: &[u8]) -> Vec<&'static str> {
    if let Some(at) = name.iter().position(|&b| b == b'|') {
        let (base, word) = (&name[..at], &name[at + 1..]);
        let Some(spec) = shared.registry.lookup(base) else {
            return vec![];
        };
        return spec
            .subcommands
            .iter()
            .filter(|s| s.word().as_bytes().eq_ignore_ascii_case(word))
            .map(|s| s.name)
            .collect();
    }
    let Some(spec) = shared.registry.lookup(name) else {
        return vec![];
    };
    std::iter::once(spec.name)
        .chain(spec.subcommands.iter().map(|s| s.name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::latency::Sample;

    fn event(name: &'static str, samples: &[(u64, u64)], max: u64) -> EventHistory {
        EventHistory {
            name,
            samples: samples
                .iter()
                .map(|&(time, ms)| Sample { time, ms })
                .collect(),
            max,
        }
    }

    #[test]
    fn doctor_names_each_event_with_its_average_and_worst() {
        let events = [
            event("command", &[(100, 300), (101, 400), (102, 500)], 500),
            event("expire-cycle", &[(102, 30)], 90),
        ];
        let text = doctor(&events, 200, 102);
        assert!(
            text.contains(
                "1. command: 3 sample(s), the first 2 s ago, average 400 ms, worst 500 ms."
            ),
            "{text}"
        );
        assert!(text.contains(
            "2. expire-cycle: 1 sample(s), the first 0 s ago, average 30 ms, worst 90 ms."
        ));
        assert!(doctor(&[], 0, 0).starts_with("The latency monitor is off."));
        assert!(doctor(&[], 200, 0).starts_with("No event took 200 ms or more"));
    }

    #[test]
    fn graph_has_redis_header_and_a_bar_a_sample() {
        let text = graph(&event("command", &[(100, 250), (101, 500)], 600), 101);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "command - high 500 ms, low 250 ms (all time high 600 ms)"
        );
        assert_eq!(lines[1], "-".repeat(80));
        assert_eq!(
            lines[2],
            format!("     1s ago     250 ms |{}", "#".repeat(25))
        );
        assert_eq!(
            lines[3],
            format!("     0s ago     500 ms |{}", "#".repeat(50))
        );
    }
}
