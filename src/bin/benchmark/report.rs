//! One test's outcome and its printing, in `redis-benchmark`'s three shapes.
//!
//! Go original: `cmd/benchmark/main.go` (its summary box). Explained in: book chapter "Benchmarks".
//!
//! The full report, the `-q` line and the `--csv` line carry the same figures as
//! `redis-benchmark`'s, plus p99.9 and the error replies, so both tools' outputs read side by side.

use std::time::Duration;

use crate::args::Options;
use crate::connection::Errors;
use crate::histogram::Histogram;
use crate::workload::Test;

/// The outcome of one test.
pub(crate) struct Report {
    /// Which test this was.
    pub(crate) test: Test,
    /// Replies received (every one, errors included).
    pub(crate) completed: u64,
    /// From the moment all clients start to the last reply.
    pub(crate) elapsed: Duration,
    /// The latency of every request, merged over all clients.
    pub(crate) latency: Histogram,
    /// The error replies among them.
    pub(crate) errors: Errors,
}

impl Report {
    /// Throughput: completed requests per second of `elapsed`.
    pub(crate) fn rps(&self) -> f64 {
        self.completed as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Microseconds as milliseconds with three decimals, as `redis-benchmark` prints them.
fn ms(micros: f64) -> String {
    format!("{:.3}", micros / 1000.0)
}

/// Prints one test's figures in the chosen format.
///
/// Go parity: go-redis prints ops/sec and the average latency in a boxed summary; we print
/// redis-benchmark's layout (and its `-q` and `--csv` shapes, with p99.9 and an error count
/// added), so the outputs of the two tools can be read side by side.
pub(crate) fn print_report(r: &Report, opts: &Options) {
    let h = &r.latency;
    let (p50, p99, p999) = (h.percentile(50.0), h.percentile(99.0), h.percentile(99.9));
    let min = if h.count == 0 { 0 } else { h.min };
    if opts.csv {
        println!(
            "\"{}\",\"{:.2}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\"",
            r.test.title(),
            r.rps(),
            ms(h.mean()),
            ms(min as f64),
            ms(p50 as f64),
            ms(p99 as f64),
            ms(p999 as f64),
            ms(h.max as f64),
            r.errors.count
        );
        return;
    }
    let errors = match &r.errors.first {
        Some(first) => format!("{} error replies (first: {first})", r.errors.count),
        None => "no error replies".to_string(),
    };
    if opts.quiet {
        print!(
            "{}: {:.2} requests per second, p50={} msec, p99={} msec, p99.9={} msec",
            r.test.title(),
            r.rps(),
            ms(p50 as f64),
            ms(p99 as f64),
            ms(p999 as f64)
        );
        if r.errors.count > 0 {
            print!(", {errors}");
        }
        println!();
        return;
    }
    let keys = if opts.keyspace > 0 {
        format!("random keys in a keyspace of {}", opts.keyspace)
    } else {
        "one fixed key".to_string()
    };
    println!("====== {} ======", r.test.title());
    println!(
        "  {} requests completed in {:.2} seconds",
        r.completed,
        r.elapsed.as_secs_f64()
    );
    println!(
        "  {} parallel clients, pipeline {}",
        opts.clients, opts.pipeline
    );
    println!("  {} bytes payload, {keys}", opts.data_size);
    println!("  {errors}");
    println!();
    println!("Summary:");
    println!("  throughput summary: {:.2} requests per second", r.rps());
    println!("  latency summary (msec):");
    println!(
        "  {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "avg", "min", "p50", "p99", "p99.9", "max"
    );
    println!(
        "  {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        ms(h.mean()),
        ms(min as f64),
        ms(p50 as f64),
        ms(p99 as f64),
        ms(p999 as f64),
        ms(h.max as f64)
    );
    println!();
}
