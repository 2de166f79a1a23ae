//! One test's run: the client threads, the request count they share, and the merge of their figures.
//!
//! Go original: `cmd/benchmark/main.go`. Explained in: book chapter "Benchmarks".
//!
//! [`run_test`] opens every connection, starts one thread per connection behind a gate so that
//! all begin together, and lets each claim pipeline-sized batches from one shared [`Job`] until
//! the requests run out; then it merges what each thread brings back into one [`Report`].

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow};

use crate::args::Options;
use crate::connection::{Errors, ReplyBuffer, connect};
use crate::histogram::Histogram;
use crate::report::Report;
use crate::workload::{Template, Test};

/// What every client thread shares for one test.
struct Job {
    template: Template,
    keyspace: u64,
    pipeline: usize,
    requests: u64,
    /// Requests handed out so far. Clients claim a batch at a time, so a fast connection does
    /// more of the work and none sits idle at the end (`redis-benchmark` shares its count too).
    issued: AtomicU64,
}

impl Job {
    /// Claims up to one pipeline's worth of requests; 0 when all are handed out.
    fn claim(&self) -> usize {
        let want = self.pipeline as u64;
        let before = self.issued.fetch_add(want, Ordering::Relaxed);
        self.requests.saturating_sub(before).min(want) as usize
    }
}

/// What one client thread brings back.
struct ClientStats {
    latency: Histogram,
    errors: Errors,
    finished: Instant,
}

// ANCHOR: client_loop
/// One benchmark connection: claim a batch, write it in one `write`, read until every reply of
/// the batch is in, time each one; repeat until the job is done.
fn client_loop(mut stream: TcpStream, job: &Job) -> anyhow::Result<ClientStats> {
    let mut rng = rand::rng();
    let mut out = Vec::with_capacity(job.template.bytes.len() * job.pipeline);
    let mut replies = ReplyBuffer::new();
    let mut stats = ClientStats {
        latency: Histogram::new(),
        errors: Errors::default(),
        finished: Instant::now(),
    };
    loop {
        let batch = job.claim();
        if batch == 0 {
            break;
        }
        out.clear();
        for _ in 0..batch {
            job.template.append_to(&mut out, job.keyspace, &mut rng);
        }
        let sent = Instant::now();
        stream.write_all(&out).context("sending requests")?;
        for _ in 0..batch {
            replies.next_reply(&mut stream, &mut stats.errors)?;
            // One clock read per reply (tens of nanoseconds, from the vDSO, no system call).
            stats.latency.record(sent.elapsed().as_micros() as u64);
        }
    }
    stats.finished = Instant::now();
    Ok(stats)
}
// ANCHOR_END: client_loop

/// Sends `count` copies of one command in one pipeline on a fresh connection and waits for
/// every reply: the pre-fill of tests that read data.
fn prefill(
    addrs: &[SocketAddr],
    opts: &Options,
    argv: &[Vec<u8>],
    count: usize,
) -> anyhow::Result<Errors> {
    let mut stream = connect(addrs, opts)?;
    let request = Template::new(argv).bytes;
    stream
        .write_all(&request.repeat(count))
        .context("sending the pre-fill")?;
    let (mut replies, mut errors) = (ReplyBuffer::new(), Errors::default());
    for _ in 0..count {
        replies.next_reply(&mut stream, &mut errors)?;
    }
    Ok(errors)
}

// ANCHOR: run_test
/// Runs one test: opens every connection first (so connecting is not timed), starts all client
/// threads at once, and merges their histograms.
pub(crate) fn run_test(addrs: &[SocketAddr], opts: &Options, test: Test) -> anyhow::Result<Report> {
    let value = vec![b'x'; opts.data_size];
    if test == Test::Lrange100 {
        let errors = prefill(addrs, opts, &Test::Lpush.argv(&value, false), 100)?;
        if let Some(first) = errors.first {
            eprintln!(
                "warning: pre-filling mylist for LRANGE_100: {} error replies (first: {first})",
                errors.count
            );
        }
    }
    let job = Arc::new(Job {
        template: Template::new(&test.argv(&value, opts.keyspace > 0)),
        keyspace: opts.keyspace,
        pipeline: opts.pipeline,
        requests: opts.requests,
        issued: AtomicU64::new(0),
    });
    let mut streams = Vec::with_capacity(opts.clients);
    for _ in 0..opts.clients {
        streams.push(connect(addrs, opts)?);
    }
    // The gate: every thread takes a read guard before its first request, so none starts until
    // all are spawned and this write guard drops (a Barrier could not cope with a failed spawn).
    let gate = Arc::new(RwLock::new(()));
    let closed = gate.write().unwrap_or_else(|p| p.into_inner());
    let mut threads = Vec::with_capacity(opts.clients);
    for (i, stream) in streams.into_iter().enumerate() {
        let (mine, gate) = (job.clone(), gate.clone());
        let spawned = std::thread::Builder::new()
            .name(format!("bench-client-{i}"))
            // The buffers live on the heap; a small stack lets thousands of clients start.
            .stack_size(256 * 1024)
            .spawn(move || {
                drop(gate.read().unwrap_or_else(|p| p.into_inner()));
                client_loop(stream, &mine)
            });
        match spawned {
            Ok(t) => threads.push(t),
            Err(e) => {
                // Nothing left to claim: the threads already started finish at once.
                job.issued.store(job.requests, Ordering::Relaxed);
                drop(closed);
                for t in threads {
                    let _ = t.join();
                }
                return Err(e).context(format!(
                    "starting client thread {i} (try fewer clients with -c)"
                ));
            }
        }
    }
    drop(closed);
    let started = Instant::now();
    let mut report = Report {
        test,
        completed: 0,
        elapsed: Duration::ZERO,
        latency: Histogram::new(),
        errors: Errors::default(),
    };
    let mut finished = started;
    let mut failure = None;
    for (i, t) in threads.into_iter().enumerate() {
        match t.join() {
            Ok(Ok(s)) => {
                report.latency.merge(&s.latency);
                report.errors.merge(s.errors);
                finished = finished.max(s.finished);
            }
            Ok(Err(e)) => {
                failure = failure.or(Some(e.context(format!("{}: client {i}", test.title()))))
            }
            Err(_) => failure = failure.or(Some(anyhow!("{}: client {i} panicked", test.title()))),
        }
    }
    if let Some(e) = failure {
        return Err(e);
    }
    report.completed = report.latency.count;
    report.elapsed = finished - started;
    Ok(report)
}
// ANCHOR_END: run_test

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_hand_out_exactly_the_requests() {
        let job = Job {
            template: Template::new(&Test::Ping.argv(b"", false)),
            keyspace: 0,
            pipeline: 16,
            requests: 40,
            issued: AtomicU64::new(0),
        };
        let claims: Vec<usize> = (0..5).map(|_| job.claim()).collect();
        assert_eq!(claims, [16, 16, 8, 0, 0]);
    }

    /// End to end against this server in-process: every request answered, and the commands it
    /// does not know counted as errors rather than hidden.
    #[test]
    fn runs_against_the_real_server_and_counts_errors() {
        let dir =
            std::env::temp_dir().join(format!("rust-redis-bench-test-{}", std::process::id()));
        let server = rust_redis::server::start(rust_redis::server::Config {
            port: 0,
            dir: dir.clone(),
            appendonly: false,
            loglevel: rust_redis::log::Level::Warning,
            ..Default::default()
        })
        .unwrap();
        let addr = server.local_addr();
        let opts = Options {
            port: addr.port(),
            clients: 3,
            requests: 200,
            pipeline: 7,
            keyspace: 50,
            ..Options::default()
        };
        for test in [Test::Ping, Test::Set, Test::Get] {
            let r = run_test(&[addr], &opts, test).unwrap();
            assert_eq!((r.completed, r.errors.count), (200, 0), "{}", test.title());
        }
        // `mylist` holds a string, so LPUSH is an error whether the server knows LPUSH yet or not;
        // and the fixed GET key holds a value larger than the reply buffer, so it must grow.
        let big = vec![b'v'; 100_000];
        let mut stream = connect(&[addr], &opts).unwrap();
        for (key, value) in [(&b"mylist"[..], &b"x"[..]), (b"key:__rand_int__", &big)] {
            stream
                .write_all(&Template::new(&[b"SET".to_vec(), key.to_vec(), value.to_vec()]).bytes)
                .unwrap();
            let mut errors = Errors::default();
            ReplyBuffer::new()
                .next_reply(&mut stream, &mut errors)
                .unwrap();
            assert_eq!(errors.count, 0);
        }
        let fixed_key = Options {
            keyspace: 0,
            ..opts.clone()
        };
        let r = run_test(&[addr], &fixed_key, Test::Get).unwrap();
        assert_eq!((r.completed, r.errors.count), (200, 0));
        let r = run_test(&[addr], &opts, Test::Lpush).unwrap();
        assert_eq!((r.completed, r.errors.count), (200, 200));
        let first = r.errors.first.unwrap();
        assert!(
            first.starts_with("ERR unknown command") || first.starts_with("WRONGTYPE"),
            "{first}"
        );
        drop(server);
        let _ = std::fs::remove_dir_all(dir);
    }
}
