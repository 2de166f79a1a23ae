//! Configuration: `redis-server`-style `--name value` flags and `redis.conf` files.
//!
//! Go original: the flags of `cmd/server/main.go`. Explained in: book chapter "Talking to real
//! clients".
//!
//! One table of settings serves three readers: the command line, the config file and
//! `CONFIG GET`/`CONFIG SET`. A setting is named once, in [`PARAMS`], with whether it may change
//! at run time, so the three can never disagree about which names exist.

pub mod keyspace_events;
pub mod latency;
pub mod output_limits;
pub mod redis_params;

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context as _, anyhow, bail};

pub use keyspace_events::KeyspaceEvents;
pub use latency::LatencySettings;

pub use output_limits::OutputLimits;

use crate::log::Level;
use crate::protocol::resp::split_args;

/// The Redis version this server reports (`INFO`, `HELLO`). Client libraries compare it to
/// decide what they may send (redis-cli asks for `COMMAND DOCS` from 7.0 on), so it names the
/// Redis release whose behaviour this server follows rather than the crate's own version,
/// which `INFO` reports separately as `rust_redis_version`.
pub const REDIS_VERSION: &str = "7.0.0";

/// When the AOF is fsynced (`appendfsync`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FsyncPolicy {
    /// After every batch, before the clients of that batch get their replies.
    Always,
    /// At most once a second, in the background.
    EverySec,
    /// Never explicitly: the OS decides.
    No,
}

impl FsyncPolicy {
    /// Parses `always`, `everysec` or `no`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "always" => Some(FsyncPolicy::Always),
            "everysec" => Some(FsyncPolicy::EverySec),
            "no" => Some(FsyncPolicy::No),
            _ => None,
        }
    }

    /// The name `CONFIG GET appendfsync` answers.
    pub fn name(self) -> &'static str {
        match self {
            FsyncPolicy::Always => "always",
            FsyncPolicy::EverySec => "everysec",
            FsyncPolicy::No => "no",
        }
    }
}

/// Who may run `DEBUG PANIC` (`enable-debug-command`, Redis 7's setting).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DebugCommand {
    /// Nobody (the default).
    No,
    /// Every client.
    Yes,
    /// Clients on the loopback interface.
    Local,
}

impl DebugCommand {
    /// The name `CONFIG GET enable-debug-command` answers.
    pub fn name(self) -> &'static str {
        match self {
            DebugCommand::No => "no",
            DebugCommand::Yes => "yes",
            DebugCommand::Local => "local",
        }
    }
}

// ANCHOR: config
/// Every setting, with `redis-server`'s defaults except where noted.
#[derive(Clone, Debug)]
pub struct Config {
    /// TCP port; 0 picks a free one (tests).
    pub port: u16,
    /// Address to listen on: loopback unless asked otherwise.
    pub bind: String,
    /// Directory of the AOF.
    pub dir: PathBuf,
    /// Whether the AOF is on. Default `yes` here (Redis: `no`): a learner's data survives restarts.
    pub appendonly: bool,
    /// When the AOF is fsynced.
    pub appendfsync: FsyncPolicy,
    /// File name of the AOF inside `dir`.
    pub appendfilename: String,
    /// Password required by `AUTH`; `None`: no password.
    pub requirepass: Option<Vec<u8>>,
    /// Most clients connected at once.
    pub maxclients: usize,
    /// Close a client idle this many seconds (0: never).
    pub timeout: u64,
    /// Log level.
    pub loglevel: Level,
    /// Active expiry cycles per second.
    pub hz: u32,
    /// Rewrite the AOF when it has grown by this percentage since the last rewrite (0: never).
    pub auto_aof_rewrite_percentage: u64,
    /// ... and is at least this many bytes.
    pub auto_aof_rewrite_min_size: u64,
    /// File the log goes to; empty: standard error (Redis: standard output).
    pub logfile: String,
    /// Commands slower than this many microseconds enter the slow log; negative: none does.
    pub slowlog_log_slower_than: i64,
    /// Most entries the slow log keeps.
    pub slowlog_max_len: u64,
    /// Refuse clients from other hosts while no password is set.
    pub protected_mode: bool,
    /// `rename-command NAME NEWNAME` lines, applied to the registry at start-up
    /// (an empty new name disables the command).
    pub rename_commands: Vec<(String, String)>,
    /// `user name rule...` lines of the config file: users to create at start-up.
    pub users: Vec<Vec<String>>,
    /// The config file this configuration was read from, if any (`INFO server`'s `config_file`).
    pub config_file: Option<PathBuf>,
    /// Largest bulk string a client may send (`proto-max-bulk-len`, 512 MB).
    pub proto_max_bulk_len: u64,
    /// Largest sparse HyperLogLog before it turns dense (`hll-sparse-max-bytes`, 3000).
    pub hll_sparse_max_bytes: u64,
    /// Most bytes one request may carry (`client-query-buffer-limit`, 1 GB).
    pub client_query_buffer_limit: u64,
    /// `client-output-buffer-limit`, per client class.
    pub client_output_buffer_limit: OutputLimits,
    /// Close a client whose socket has accepted none of its replies for this many seconds
    /// (0: never). Not a Redis setting: Redis's event loop never blocks on a slow reader, but
    /// a client thread here does, and this bounds how long.
    pub client_write_timeout: u64,
    /// Seconds between TCP keepalive probes on client sockets (0: off), as Redis's `tcp-keepalive`.
    pub tcp_keepalive: u64,
    /// Run client threads under Linux's `SCHED_BATCH` policy (`client-sched-batch`, for
    /// connections accepted after a change). Not a Redis setting: Redis has one thread, which
    /// never has to decide whether waking it should interrupt another (see `sys`). Off by
    /// default: it buys throughput, but with the load on the same cores it costs the worst
    /// waits several times Redis's (the Benchmarks chapter, "Who gets the core" and "Pauses").
    pub client_sched_batch: bool,
    /// Who may run `DEBUG PANIC`.
    pub enable_debug_command: DebugCommand,
    /// How many databases `SELECT` can choose from (`databases`, fixed at start-up).
    pub databases: usize,
    /// Bytes of memory above which commands that add data are refused (`maxmemory`; 0: no
    /// limit).
    pub maxmemory: u64,
    /// `maxmemory-policy`. Every policy acts as `noeviction` here: no key is ever evicted.
    pub maxmemory_policy: String,
    /// `save`: the save points, `seconds changes` pairs (`3600 1 300 100`), at which the cron
    /// starts a background RDB save. Differs from Redis, whose default without a config file
    /// is `3600 1 300 100 60 10000`: empty (no saving) unless set, because tests and learners
    /// run many servers in scratch directories, and the AOF is on here by default anyway.
    pub save: String,
    /// Which keyspace notifications are published (`notify-keyspace-events`, none by default).
    pub notify_keyspace_events: KeyspaceEvents,
    /// The latency monitor's threshold and the per-command latency histograms.
    pub latency: LatencySettings,
    /// Redis settings this server keeps and reports but does not act on ([`redis_params`]),
    /// by name, once a client or the config file has set them.
    pub kept: BTreeMap<&'static str, String>,
}
// ANCHOR_END: config

impl Default for Config {
    fn default() -> Self {
        Config {
            port: 6379,
            bind: "127.0.0.1".to_string(),
            dir: PathBuf::from("."),
            appendonly: true,
            appendfsync: FsyncPolicy::EverySec,
            appendfilename: "appendonly.aof".to_string(),
            requirepass: None,
            maxclients: 10_000,
            timeout: 0,
            loglevel: Level::Notice,
            hz: 10,
            auto_aof_rewrite_percentage: 100,
            auto_aof_rewrite_min_size: 64 * 1024 * 1024,
            logfile: String::new(),
            slowlog_log_slower_than: 10_000,
            slowlog_max_len: 128,
            protected_mode: true,
            rename_commands: Vec::new(),
            users: Vec::new(),
            config_file: None,
            proto_max_bulk_len: 512 * 1024 * 1024,
            hll_sparse_max_bytes: 3000,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            client_output_buffer_limit: OutputLimits::default(),
            client_write_timeout: 60,
            tcp_keepalive: 300,
            client_sched_batch: false,
            enable_debug_command: DebugCommand::No,
            databases: 16,
            maxmemory: 0,
            maxmemory_policy: "noeviction".to_string(),
            save: String::new(),
            notify_keyspace_events: KeyspaceEvents::NONE,
            latency: LatencySettings::default(),
            kept: BTreeMap::new(),
        }
    }
}

/// May a setting change while the server runs?
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutability {
    /// `CONFIG SET` may change it.
    Runtime,
    /// Only the command line or the config file may set it.
    Startup,
}

/// Every setting `CONFIG GET` knows, in the order it lists them, and whether `CONFIG SET` may
/// change it (the settings kept for Redis's sake are in [`redis_params`]).
pub const PARAMS: &[(&str, Mutability)] = &[
    ("port", Mutability::Runtime),
    ("bind", Mutability::Runtime),
    ("dir", Mutability::Startup),
    ("appendonly", Mutability::Runtime),
    ("appendfsync", Mutability::Runtime),
    ("appendfilename", Mutability::Startup),
    ("requirepass", Mutability::Runtime),
    ("maxclients", Mutability::Runtime),
    ("timeout", Mutability::Runtime),
    ("loglevel", Mutability::Runtime),
    ("logfile", Mutability::Startup),
    ("hz", Mutability::Runtime),
    ("slowlog-log-slower-than", Mutability::Runtime),
    ("slowlog-max-len", Mutability::Runtime),
    ("protected-mode", Mutability::Runtime),
    ("save", Mutability::Runtime),
    ("databases", Mutability::Startup),
    ("maxmemory", Mutability::Runtime),
    ("maxmemory-policy", Mutability::Runtime),
    ("auto-aof-rewrite-percentage", Mutability::Runtime),
    ("auto-aof-rewrite-min-size", Mutability::Runtime),
    ("proto-max-bulk-len", Mutability::Runtime),
    ("hll-sparse-max-bytes", Mutability::Runtime),
    ("client-query-buffer-limit", Mutability::Runtime),
    ("client-output-buffer-limit", Mutability::Runtime),
    ("client-write-timeout", Mutability::Runtime),
    ("tcp-keepalive", Mutability::Runtime),
    ("client-sched-batch", Mutability::Runtime),
    ("enable-debug-command", Mutability::Startup),
    ("notify-keyspace-events", Mutability::Runtime),
    ("latency-monitor-threshold", Mutability::Runtime),
    ("latency-tracking", Mutability::Runtime),
    ("latency-tracking-info-percentiles", Mutability::Runtime),
];

/// The error text of a bad value; `CONFIG SET` wraps it in Redis's `CONFIG SET failed` sentence.
fn yes_no(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err("argument must be 'yes' or 'no'".into()),
    }
}

/// Parses a size as `redis.conf` writes it: `1024`, `1k` (1000), `1kb` (1024), `64mb`, `1gb`.
///
/// # Errors
/// Not a number with one of those units.
pub fn parse_memory(v: &str) -> anyhow::Result<u64> {
    let v = v.to_ascii_lowercase();
    let digits = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (n, unit) = v.split_at(digits);
    let n: u64 = n.parse().context("not a number")?;
    let mul = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => bail!("unknown unit '{unit}'"),
    };
    n.checked_mul(mul).ok_or_else(|| anyhow!("too large"))
}

/// A `redis.conf` memory value within `min..=i64::MAX`, with Redis's error texts.
fn memory(v: &str, min: u64) -> Result<u64, String> {
    let n = parse_memory(v).map_err(|_| "argument must be a memory value".to_string())?;
    if n < min || n > i64::MAX as u64 {
        return Err(format!(
            "argument must be between {min} and {} inclusive",
            i64::MAX
        ));
    }
    Ok(n)
}

fn integer(v: &str, min: i64, max: i64) -> Result<i64, String> {
    let n: i64 = v
        .parse()
        .map_err(|_| "argument couldn't be parsed into an integer".to_string())?;
    if n < min || n > max {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    Ok(n)
}

impl Config {
    /// Applies one setting by its `redis.conf` name, with the words that follow the name.
    ///
    /// # Errors
    /// An unknown name or a malformed value, as the text Redis puts after the setting's name.
    pub fn set_words(&mut self, name: &str, words: &[String]) -> Result<(), String> {
        let name = name.to_ascii_lowercase();
        if name == "rename-command" {
            let [from, to] = words else {
                return Err("rename-command needs a command name and a new name".into());
            };
            self.rename_commands.push((from.clone(), to.clone()));
            return Ok(());
        }
        if name == "user" {
            if words.is_empty() {
                return Err("user needs a name".into());
            }
            self.users.push(words.to_vec());
            return Ok(());
        }
        // Every other setting takes one value; `save 3600 1 300 100` is one value of words.
        let value = words.join(" ");
        self.set(&name, &value)
    }

    /// Applies one single-valued setting.
    ///
    /// # Errors
    /// An unknown name or a malformed value (the text Redis uses after the setting's name).
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        match name.to_ascii_lowercase().as_str() {
            "port" => self.port = integer(value, 0, 65535)? as u16,
            "bind" => {
                // Redis binds every address listed; this server listens on one socket, so it
                // takes the first. `bind * -::*` means every interface.
                let first = value.split_whitespace().next().unwrap_or("127.0.0.1");
                self.bind = match first.trim_start_matches('-') {
                    "*" => "0.0.0.0".to_string(),
                    other => other.to_string(),
                };
            }
            "dir" => self.dir = PathBuf::from(value),
            "appendonly" => self.appendonly = yes_no(value)?,
            "appendfsync" => {
                self.appendfsync = FsyncPolicy::parse(value)
                    .ok_or("argument(s) must be one of the following: always, everysec, no")?
            }
            "appendfilename" => {
                if value.is_empty() || value.contains('/') {
                    return Err("appendfilename can't be a path, just a filename".into());
                }
                self.appendfilename = value.to_string()
            }
            "requirepass" => {
                self.requirepass = (!value.is_empty()).then(|| value.as_bytes().to_vec())
            }
            "maxclients" => self.maxclients = integer(value, 1, 1_000_000)? as usize,
            "timeout" => self.timeout = integer(value, 0, i32::MAX as i64)? as u64,
            "loglevel" => {
                self.loglevel = Level::parse(value).ok_or(
                    "argument(s) must be one of the following: debug, verbose, notice, warning",
                )?
            }
            "logfile" => self.logfile = value.to_string(),
            // Redis clamps hz to 1..=500 rather than refusing.
            "hz" => self.hz = integer(value, 0, i32::MAX as i64)?.clamp(1, 500) as u32,
            "slowlog-log-slower-than" => {
                self.slowlog_log_slower_than = integer(value, -1, i64::MAX)?
            }
            "slowlog-max-len" => self.slowlog_max_len = integer(value, 0, i64::MAX)? as u64,
            "protected-mode" => self.protected_mode = yes_no(value)?,
            "client-sched-batch" => self.client_sched_batch = yes_no(value)?,
            "save" => self.save = redis_params::save_points(value)?,
            "maxmemory-policy" => self.maxmemory_policy = redis_params::maxmemory_policy(value)?,
            "databases" => self.databases = integer(value, 1, i32::MAX as i64)? as usize,
            "maxmemory" => self.maxmemory = memory(value, 0)?,
            "auto-aof-rewrite-percentage" => {
                self.auto_aof_rewrite_percentage = integer(value, 0, i64::MAX)? as u64
            }
            "auto-aof-rewrite-min-size" => {
                self.auto_aof_rewrite_min_size = parse_memory(value)
                    .map_err(|e| format!("argument must be a memory value ({e})"))?
            }
            // Redis's floor for both is 1 MB: lower would refuse ordinary commands.
            "proto-max-bulk-len" => self.proto_max_bulk_len = memory(value, 1024 * 1024)?,
            "hll-sparse-max-bytes" => self.hll_sparse_max_bytes = memory(value, 0)?,
            "client-query-buffer-limit" => {
                self.client_query_buffer_limit = memory(value, 1024 * 1024)?
            }
            "client-output-buffer-limit" => self.client_output_buffer_limit.parse_into(value)?,
            "client-write-timeout" => {
                self.client_write_timeout = integer(value, 0, i32::MAX as i64)? as u64
            }
            "tcp-keepalive" => self.tcp_keepalive = integer(value, 0, i32::MAX as i64)? as u64,
            "enable-debug-command" => {
                self.enable_debug_command = match value.to_ascii_lowercase().as_str() {
                    "no" => DebugCommand::No,
                    "yes" => DebugCommand::Yes,
                    "local" => DebugCommand::Local,
                    _ => {
                        return Err(
                            "argument(s) must be one of the following: no, yes, local".into()
                        );
                    }
                }
            }
            "notify-keyspace-events" => {
                self.notify_keyspace_events =
                    KeyspaceEvents::parse(value).ok_or(keyspace_events::INVALID)?
            }
            name if latency::NAMES.contains(&name) => self.latency.set(name, value)?,
            other => {
                let Some((name, default, _)) = redis_params::find(other) else {
                    return Err(format!("unknown setting '{other}'"));
                };
                let value = match name {
                    "maxmemory-clients" => redis_params::memory_or_percent(value, parse_memory)?,
                    "dbfilename" => redis_params::dbfilename(value)?,
                    _ => redis_params::kept_value(default, value, parse_memory)?,
                };
                self.kept.insert(name, value);
            }
        }
        Ok(())
    }

    /// The value `CONFIG GET name` answers, for a name in [`PARAMS`].
    pub fn get(&self, name: &str) -> Option<String> {
        let yes = |b: bool| if b { "yes" } else { "no" }.to_string();
        Some(match name {
            "port" => self.port.to_string(),
            "bind" => self.bind.clone(),
            "dir" => self
                .dir
                .canonicalize()
                .unwrap_or_else(|_| self.dir.clone())
                .display()
                .to_string(),
            "appendonly" => yes(self.appendonly),
            "appendfsync" => self.appendfsync.name().to_string(),
            "appendfilename" => self.appendfilename.clone(),
            "requirepass" => {
                String::from_utf8_lossy(self.requirepass.as_deref().unwrap_or_default())
                    .into_owned()
            }
            "maxclients" => self.maxclients.to_string(),
            "timeout" => self.timeout.to_string(),
            "loglevel" => self.loglevel.name().to_string(),
            "logfile" => self.logfile.clone(),
            "hz" => self.hz.to_string(),
            "slowlog-log-slower-than" => self.slowlog_log_slower_than.to_string(),
            "slowlog-max-len" => self.slowlog_max_len.to_string(),
            "protected-mode" => yes(self.protected_mode),
            "client-sched-batch" => yes(self.client_sched_batch),
            "save" => self.save.clone(),
            "databases" => self.databases.to_string(),
            "maxmemory" => self.maxmemory.to_string(),
            "maxmemory-policy" => self.maxmemory_policy.clone(),
            "auto-aof-rewrite-percentage" => self.auto_aof_rewrite_percentage.to_string(),
            "auto-aof-rewrite-min-size" => self.auto_aof_rewrite_min_size.to_string(),
            "proto-max-bulk-len" => self.proto_max_bulk_len.to_string(),
            "hll-sparse-max-bytes" => self.hll_sparse_max_bytes.to_string(),
            "client-query-buffer-limit" => self.client_query_buffer_limit.to_string(),
            "client-output-buffer-limit" => self.client_output_buffer_limit.render(),
            "client-write-timeout" => self.client_write_timeout.to_string(),
            "tcp-keepalive" => self.tcp_keepalive.to_string(),
            "enable-debug-command" => self.enable_debug_command.name().to_string(),
            "notify-keyspace-events" => self.notify_keyspace_events.to_string(),
            name if latency::NAMES.contains(&name) => self.latency.get(name)?,
            other => {
                let (name, default, _) = redis_params::find(other)?;
                self.kept
                    .get(name)
                    .map_or_else(|| default.to_string(), String::clone)
            }
        })
    }

    /// Builds a configuration from command-line words: an optional config file first, then
    /// `--name value...` groups, as `redis-server` takes them (`--save ""`,
    /// `--rename-command FLUSHALL ""`).
    ///
    /// # Errors
    /// An unknown setting, a missing value, or an unreadable or malformed config file.
    pub fn from_args(args: &[String]) -> anyhow::Result<Config> {
        let mut config = Config::default();
        let mut rest = args;
        if let Some(first) = rest.first()
            && !first.starts_with("--")
        {
            let text = std::fs::read_to_string(first)
                .with_context(|| format!("reading config file {first}"))?;
            config
                .load_file_text(&text)
                .with_context(|| format!("in config file {first}"))?;
            config.config_file =
                Some(std::fs::canonicalize(first).unwrap_or_else(|_| PathBuf::from(first)));
            rest = &rest[1..];
        }
        let mut i = 0;
        while i < rest.len() {
            let Some(name) = rest[i].strip_prefix("--") else {
                bail!(
                    "unexpected argument '{}': settings are given as --name value",
                    rest[i]
                );
            };
            // The value is every word up to the next `--name`, as redis-server reads it.
            let mut j = i + 1;
            while j < rest.len() && !rest[j].starts_with("--") {
                j += 1;
            }
            let words = &rest[i + 1..j];
            if words.is_empty() {
                bail!("--{name} needs a value");
            }
            config
                .set_words(name, words)
                .map_err(|e| anyhow!("--{name} {}: {e}", words.join(" ")))?;
            i = j;
        }
        Ok(config)
    }

    /// Applies the lines of a `redis.conf`-style file (`name value`, `#` comments, quoted words).
    ///
    /// # Errors
    /// The first bad line, named by its number.
    pub fn load_file_text(&mut self, text: &str) -> anyhow::Result<()> {
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            // Redis splits config lines with the same `sdssplitargs` as inline commands, so a
            // quoted word means the same in both places.
            let words = split_args(line.as_bytes())
                .map_err(|_| anyhow!("line {}: '{line}': unbalanced quotes", n + 1))?;
            // Settings are text; a `\xHH` escape can make bytes that are not, and such a line
            // is as bad as any other this server cannot take.
            let words = words
                .into_iter()
                .map(String::from_utf8)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| anyhow!("line {}: '{line}': not valid UTF-8", n + 1))?;
            let Some((name, values)) = words.split_first() else {
                continue;
            };
            self.set_words(name, values)
                .map_err(|e| anyhow!("line {}: '{line}': {e}", n + 1))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<String> {
        words.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flags_take_every_word_up_to_the_next_flag() {
        let c = Config::from_args(&args(&[
            "--port",
            "7000",
            "--save",
            "",
            "--rename-command",
            "FLUSHALL",
            "",
            "--appendonly",
            "no",
        ]))
        .unwrap();
        assert_eq!(c.port, 7000);
        assert!(!c.appendonly);
        assert_eq!(
            c.rename_commands,
            vec![("FLUSHALL".to_string(), String::new())]
        );
        assert!(Config::from_args(&args(&["--port"])).is_err());
        assert!(Config::from_args(&args(&["--nosuch", "1"])).is_err());
        assert!(Config::from_args(&args(&["--appendonly", "maybe"])).is_err());
    }

    #[test]
    fn config_files_name_the_bad_line() {
        let mut c = Config::default();
        c.load_file_text("# comment\nport 7001\nrequirepass \"p w\"\nsave \"\"\nbind * -::*\n")
            .unwrap();
        assert_eq!(c.port, 7001);
        assert_eq!(c.requirepass.as_deref(), Some(&b"p w"[..]));
        assert_eq!(c.bind, "0.0.0.0");
        let err = Config::default()
            .load_file_text("port 1\n\nfrobnicate yes\n")
            .unwrap_err();
        assert!(format!("{err:#}").contains("line 3"), "{err:#}");
        let err = Config::default()
            .load_file_text("timeout -5\n")
            .unwrap_err();
        assert!(format!("{err:#}").contains("line 1"), "{err:#}");
    }

    #[test]
    fn config_lines_are_quoted_like_inline_commands() {
        let mut c = Config::default();
        c.load_file_text("requirepass \"a b\\n\"\n").unwrap();
        assert_eq!(c.requirepass.as_deref(), Some(&b"a b\n"[..]));
        c.load_file_text("requirepass 'it\\'s'\n").unwrap();
        assert_eq!(c.requirepass.as_deref(), Some(&b"it's"[..]));
        c.load_file_text("requirepass a\"b c\"\n").unwrap();
        assert_eq!(c.requirepass.as_deref(), Some(&b"ab c"[..]));
        c.load_file_text("requirepass \"\\x41\\a\"\n").unwrap();
        assert_eq!(c.requirepass.as_deref(), Some(&b"A\x07"[..]));
        for (text, why) in [
            (
                "port 1\nrequirepass \"open\n",
                "line 2: 'requirepass \"open': unbalanced quotes",
            ),
            (
                "requirepass \"a\"b\n",
                "line 1: 'requirepass \"a\"b': unbalanced quotes",
            ),
            (
                "requirepass \"\\xff\"\n",
                "line 1: 'requirepass \"\\xff\"': not valid UTF-8",
            ),
        ] {
            let err = Config::default().load_file_text(text).unwrap_err();
            assert_eq!(format!("{err:#}"), why);
        }
    }

    #[test]
    fn protocol_and_output_limits_parse_like_redis() {
        let mut c = Config::default();
        assert_eq!(c.get("proto-max-bulk-len").unwrap(), "536870912");
        assert_eq!(c.get("client-query-buffer-limit").unwrap(), "1073741824");
        c.set("proto-max-bulk-len", "2mb").unwrap();
        assert_eq!(c.proto_max_bulk_len, 2 * 1024 * 1024);
        assert_eq!(
            c.set("proto-max-bulk-len", "1").unwrap_err(),
            "argument must be between 1048576 and 9223372036854775807 inclusive"
        );
        assert_eq!(
            c.set("client-query-buffer-limit", "abc").unwrap_err(),
            "argument must be a memory value"
        );
        assert_eq!(
            c.get("client-output-buffer-limit").unwrap(),
            "normal 268435456 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        );
        c.set("client-output-buffer-limit", "pubsub 1mb 0 0 normal 0 0 0")
            .unwrap();
        assert_eq!(c.client_output_buffer_limit.normal, [0, 0, 0]);
        assert_eq!(c.client_output_buffer_limit.pubsub, [1024 * 1024, 0, 0]);
        for (bad, why) in [
            (
                "normal 1 2",
                "Wrong number of arguments in buffer limit configuration.",
            ),
            (
                "bogus 1 2 3",
                "Invalid client class specified in buffer limit configuration.",
            ),
            (
                "normal x 2 3",
                "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
            ),
        ] {
            assert_eq!(c.set("client-output-buffer-limit", bad).unwrap_err(), why);
        }
        // All or nothing: a bad second group leaves the first unapplied.
        assert!(
            c.set("client-output-buffer-limit", "normal 5 0 0 pubsub x 0 0")
                .is_err()
        );
        assert_eq!(c.client_output_buffer_limit.normal, [0, 0, 0]);
    }

    #[test]
    fn every_param_has_a_value() {
        let c = Config::default();
        for (name, _) in PARAMS {
            assert!(c.get(name).is_some(), "{name}");
        }
    }
}
