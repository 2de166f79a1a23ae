//! The stages: what each asks for, where the book explains it, and the check that proves it.
//!
//! The order is the book's: the network and the protocol, the store, expiry, the log,
//! transactions, then the features beyond go-redis. Every check speaks RESP over a real socket
//! and uses random keys and values, so no answer can be hard-coded.

use rand::Rng;
use rand::distr::Alphanumeric;

use crate::checks_a as a;
use crate::checks_b as b;
use crate::target::Target;
use crate::wire::Check;

/// One stage of the course.
pub struct Stage {
    /// A short name, for `course list`.
    pub name: &'static str,
    /// What the server must do after this stage, in a sentence or two.
    pub goal: &'static str,
    /// The book's chapter to read first.
    pub chapter: &'static str,
    /// Hints, one per line, for `course hint`. Here and in `goal`, code is in backticks: the
    /// book's pages show it as code, the terminal without them.
    pub hints: &'static [&'static str],
    /// `easy`, `medium` or `hard`.
    pub difficulty: &'static str,
    /// How long a student who has read the chapter can expect to spend.
    pub time: &'static str,
    /// The check: `Ok` if the server does what the goal says.
    pub check: fn(&mut Run) -> Check,
}

/// What a check works with: the server, and a random generator for keys and values.
pub struct Run {
    /// The server under test.
    pub target: Target,
    rng: rand::rngs::ThreadRng,
}

impl Run {
    /// A run against `target`.
    pub fn new(target: Target) -> Run {
        Run {
            target,
            rng: rand::rng(),
        }
    }

    /// A fresh random key, `prefix:` and ten letters or digits.
    pub fn key(&mut self, prefix: &str) -> Vec<u8> {
        let tail: String = (&mut self.rng)
            .sample_iter(Alphanumeric)
            .take(10)
            .map(char::from)
            .collect();
        format!("{prefix}:{tail}").into_bytes()
    }

    /// A random value of `len` bytes, any byte at all (a server must be binary safe).
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.rng.random::<u8>()).collect()
    }

    /// A random number in `range`.
    pub fn number(&mut self, range: std::ops::Range<i64>) -> i64 {
        self.rng.random_range(range)
    }
}

/// Every stage, in order; stage N is `STAGES[N - 1]`.
pub const STAGES: &[Stage] = &[
    Stage {
        name: "Answer PING",
        goal: "Listen on the port you are given, accept a connection and answer the command PING \
               (sent as the RESP array `*1\\r\\n$4\\r\\nPING\\r\\n`) with `+PONG\\r\\n`.",
        chapter: "1. Network layer",
        hints: &[
            "`std::net::TcpListener::bind((\"127.0.0.1\", port))`, then `listener.incoming()`.",
            "Read from the socket, write `b\"+PONG\\r\\n\"` back. Parsing can wait for stage 2.",
            "Take the port from the command line: `--port 6379`.",
        ],
        difficulty: "easy",
        time: "30 min",
        check: a::ping,
    },
    Stage {
        name: "Read RESP: many commands, ECHO",
        goal: "Parse each request as a RESP array of bulk strings and answer every one of them on \
               the same connection: `PING`, `PING message`, `ECHO message`, with any bytes inside.",
        chapter: "2. RESP, the protocol",
        hints: &[
            "Read a line up to `\\r\\n`; `*` gives the count, then each `$` gives a length: read \
             exactly that many bytes, then `\\r\\n`.",
            "Never split on `\\r\\n` inside a bulk string: a value may contain it.",
            "A bulk reply is `$<len>\\r\\n<bytes>\\r\\n`.",
        ],
        difficulty: "medium",
        time: "2 h",
        check: a::resp,
    },
    Stage {
        name: "Many clients at once",
        goal: "Serve many connections at the same time: a client that connects and sends \
               nothing must not stop the others.",
        chapter: "1. Network layer",
        hints: &[
            "One thread per connection: `std::thread::spawn(move || handle(stream))`.",
            "Blocking reads are fine, as long as each client has its own thread.",
        ],
        difficulty: "easy",
        time: "30 min",
        check: a::many_clients,
    },
    Stage {
        name: "SET and GET",
        goal: "`SET key value` answers `+OK`, `GET key` answers the value as a bulk string or \
               `$-1\\r\\n` (nil) for a missing key; `DEL` answers how many keys it removed. Keys \
               and values are bytes, not text: an empty value is `$0\\r\\n\\r\\n`, not nil.",
        chapter: "3. Command dispatch, 4. The in-memory store",
        hints: &[
            "`Arc<RwLock<HashMap<Vec<u8>, Vec<u8>>>>` shared by every client thread.",
            "Look the command name up case-insensitively.",
        ],
        difficulty: "easy",
        time: "1 h",
        check: a::set_get,
    },
    Stage {
        name: "Pipelining",
        goal: "Answer requests sent back to back, without waiting for replies, in order; and a \
               request that arrives in pieces, however it is cut.",
        chapter: "1. Network layer (the loop), 2. RESP",
        hints: &[
            "Keep a buffered reader per connection: what is left after one command is the \
             start of the next.",
            "Write replies into a buffer and flush when no more input is waiting: one write per \
             batch instead of one per reply.",
        ],
        difficulty: "medium",
        time: "1–2 h",
        check: a::pipelining,
    },
    Stage {
        name: "SET PX/EX and lazy expiry",
        goal: "`SET key value PX ms` (or `EX s`) gives the key a deadline; past it, the key is \
               gone for every command. `SET` with a zero or negative time is an error.",
        chapter: "5. Expiration",
        hints: &[
            "Store the deadline (an absolute time) beside the value.",
            "Check it on every read: a key past its deadline is treated as missing (and deleted).",
        ],
        difficulty: "easy",
        time: "1 h",
        check: a::lazy_expiry,
    },
    Stage {
        name: "Active expiry",
        goal: "Keys that expire and are never read again must go anyway: `DBSIZE` (the number \
               of keys) drops without anyone reading them.",
        chapter: "5. Expiration",
        hints: &[
            "A background thread, ten times a second: sample 20 keys with a deadline, delete \
             the expired ones, repeat while more than a quarter were expired.",
            "`DBSIZE` counts the keys still stored, as Redis does: expired ones until deleted.",
        ],
        difficulty: "medium",
        time: "2 h",
        check: a::active_expiry,
    },
    Stage {
        name: "INCR and error replies",
        goal: "`INCR` and `DECR` on integers stored as strings, with Redis's error replies: a \
               value that is not an integer, an unknown command, a wrong number of arguments.",
        chapter: "3. Command dispatch, 4. The in-memory store (errors are replies)",
        hints: &[
            "`-ERR value is not an integer or out of range`",
            "`-ERR unknown command 'name', with args beginning with: ...`",
            "`-ERR wrong number of arguments for 'get' command`",
            "Check the arguments before changing anything.",
        ],
        difficulty: "easy",
        time: "1 h",
        check: a::incr_errors,
    },
    Stage {
        name: "Lists",
        goal: "`LPUSH`, `RPUSH`, `LRANGE` (negative indexes from the end), `LLEN`, `LPOP`, \
               `RPOP`; a command on a key of the other type answers `-WRONGTYPE`.",
        chapter: "4. The in-memory store",
        hints: &[
            "A `VecDeque` makes both ends O(1).",
            "The value type becomes an enum: `Str(Vec<u8>)` or `List(VecDeque<Vec<u8>>)`.",
            "`-WRONGTYPE Operation against a key holding the wrong kind of value`",
        ],
        difficulty: "medium",
        time: "2 h",
        check: a::lists,
    },
    Stage {
        name: "Blocking pops: BLPOP",
        goal: "`BLPOP key timeout` waits until another client pushes to the key (answering the \
               key and the element) or the timeout passes (answering a nil array, `*-1\\r\\n`).",
        chapter: "4. The in-memory store (blocking pops)",
        hints: &[
            "The waiting thread must not hold the store's lock: wait on a `Condvar` or a channel.",
            "A push hands its element to the longest-waiting client first.",
        ],
        difficulty: "hard",
        time: "3 h",
        check: b::blpop,
    },
    Stage {
        name: "The AOF: writes survive a restart",
        goal: "Started with `--dir DIR --appendonly yes` (the tester adds both), log every \
               write to a file in `DIR` and replay it at start-up; `SHUTDOWN` writes out what \
               is pending and exits.",
        chapter: "6. AOF persistence",
        hints: &[
            "Log effects, not requests: `INCR` as the `SET` of its result, so a replay cannot \
             count twice.",
            "Write the log from one thread fed by a channel; send under the store's lock, so \
             the log's order is the store's.",
            "Replaying must not log again.",
        ],
        difficulty: "medium",
        time: "3 h",
        check: b::aof_restart,
    },
    Stage {
        name: "appendfsync always: survive kill -9",
        goal: "Started with `--dir DIR --appendonly yes --appendfsync always`, a write's \
               reply means it is on disk: the process killed at once (SIGKILL) after the reply \
               loses nothing.",
        chapter: "6. AOF persistence (the writer thread and group commit)",
        hints: &[
            "The client's reply waits until the writer thread has called `fsync` on its entry.",
            "Group commit: one fsync for every entry that arrived meanwhile.",
        ],
        difficulty: "hard",
        time: "2–3 h",
        check: b::fsync_always,
    },
    Stage {
        name: "MULTI and EXEC",
        goal: "`MULTI` queues commands (`+QUEUED`) until `EXEC` runs them all at once and \
               answers an array of their replies; `DISCARD` drops the queue; errors as Redis \
               answers them.",
        chapter: "7. Transactions",
        hints: &[
            "Queue per connection; run the whole queue under one write lock.",
            "A command refused while queueing (unknown, wrong arity) makes `EXEC` answer \
             `-EXECABORT`.",
        ],
        difficulty: "medium",
        time: "2 h",
        check: b::multi_exec,
    },
    Stage {
        name: "WATCH",
        goal: "`WATCH key` makes the next `EXEC` fail (a nil array, `*-1\\r\\n`) if another \
               client changed the key in between; `UNWATCH` forgets.",
        chapter: "7. Transactions (WATCH)",
        hints: &[
            "A version number per key (or a set of dirty watchers) bumped by every write.",
            "`EXEC` compares under the same write lock that runs the queue.",
        ],
        difficulty: "medium",
        time: "2 h",
        check: b::watch,
    },
    Stage {
        name: "Pub/Sub",
        goal: "`SUBSCRIBE`, `UNSUBSCRIBE` and `PUBLISH`: a subscriber receives every message \
               published on its channels as a push array; `PUBLISH` answers how many received \
               it.",
        chapter: "Pub/Sub",
        hints: &[
            "Map each channel to the senders of its subscribers' connections.",
            "A subscribed RESP2 connection answers `PING` with `*2\\r\\n$4\\r\\npong\\r\\n$0\\r\\n\\r\\n`.",
        ],
        difficulty: "medium",
        time: "3 h",
        check: b::pubsub,
    },
    Stage {
        name: "RESP3 and HELLO",
        goal: "`HELLO 3` switches the connection to RESP3 and answers a map that says proto 3; \
               from then on nil is `_\\r\\n`. `HELLO 2` switches back; `HELLO 4` is \
               `-NOPROTO`.",
        chapter: "Talking to real clients",
        hints: &[
            "Build replies as values (a map, a nil, ...) and encode them per connection protocol.",
            "The map: `server`, `version`, `proto`, `id`, `mode`, `role`, `modules`.",
        ],
        difficulty: "medium",
        time: "2 h",
        check: b::resp3,
    },
    Stage {
        name: "Hostile input",
        goal: "A huge or malformed length gets Redis's protocol error and a closed connection — \
               never a crash, never gigabytes allocated — and every other client goes on.",
        chapter: "When clients misbehave",
        hints: &[
            "Check lengths before allocating: `-ERR Protocol error: invalid bulk length`.",
            "`-ERR Protocol error: invalid multibulk length`, then close the connection.",
        ],
        difficulty: "medium",
        time: "1–2 h",
        check: b::hostile,
    },
];
