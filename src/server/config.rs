//! Configuration: `redis-server`-style `--name value` flags and `redis.conf` files.
//!
//! Go original: the flags of `cmd/server/main.go`. Explained in: book chapter "Talking to real
//! clients".

use std::path::PathBuf;

use anyhow::{Context as _, anyhow, bail};

use super::log::Level;

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
        }
    }
}

fn yes_no(v: &str) -> anyhow::Result<bool> {
    match v.to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => bail!("argument must be 'yes' or 'no'"),
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

impl Config {
    /// Applies one setting by its `redis.conf` name.
    ///
    /// # Errors
    /// An unknown name or a malformed value.
    pub fn set(&mut self, name: &str, value: &str) -> anyhow::Result<()> {
        match name.to_ascii_lowercase().as_str() {
            "port" => self.port = value.parse().context("invalid port")?,
            "bind" => self.bind = value.split_whitespace().next().unwrap_or("127.0.0.1").to_string(),
            "dir" => self.dir = PathBuf::from(value),
            "appendonly" => self.appendonly = yes_no(value)?,
            "appendfsync" => {
                self.appendfsync =
                    FsyncPolicy::parse(value).ok_or_else(|| anyhow!("argument must be 'always', 'everysec' or 'no'"))?
            }
            "appendfilename" => self.appendfilename = value.to_string(),
            "requirepass" => self.requirepass = (!value.is_empty()).then(|| value.as_bytes().to_vec()),
            "maxclients" => self.maxclients = value.parse().context("invalid maxclients")?,
            "timeout" => self.timeout = value.parse().context("invalid timeout")?,
            "loglevel" => self.loglevel = Level::parse(value).ok_or_else(|| anyhow!("invalid log level"))?,
            "hz" => self.hz = value.parse::<u32>().context("invalid hz")?.clamp(1, 500),
            "auto-aof-rewrite-percentage" => {
                self.auto_aof_rewrite_percentage = value.parse().context("invalid auto-aof-rewrite-percentage")?
            }
            "auto-aof-rewrite-min-size" => {
                self.auto_aof_rewrite_min_size = parse_memory(value).context("invalid auto-aof-rewrite-min-size")?
            }
            other => bail!("unknown setting '{other}'"),
        }
        Ok(())
    }

    /// Builds a configuration from command-line words: an optional config file first, then
    /// `--name value` pairs, as `redis-server` takes them.
    ///
    /// # Errors
    /// An unknown setting, a missing value, or an unreadable config file.
    pub fn from_args(args: &[String]) -> anyhow::Result<Config> {
        let mut config = Config::default();
        let mut rest = args;
        if let Some(first) = rest.first()
            && !first.starts_with("--")
        {
            let text = std::fs::read_to_string(first).with_context(|| format!("reading config file {first}"))?;
            config
                .load_file_text(&text)
                .with_context(|| format!("in config file {first}"))?;
            rest = &rest[1..];
        }
        let mut i = 0;
        while i < rest.len() {
            let Some(name) = rest[i].strip_prefix("--") else {
                bail!("unexpected argument '{}': settings are given as --name value", rest[i]);
            };
            let value = rest.get(i + 1).ok_or_else(|| anyhow!("--{name} needs a value"))?;
            config.set(name, value).with_context(|| format!("--{name} {value}"))?;
            i += 2;
        }
        Ok(config)
    }

    /// Applies the lines of a `redis.conf`-style file (`name value`, `#` comments).
    ///
    /// # Errors
    /// The first bad line, named by its number.
    pub fn load_file_text(&mut self, text: &str) -> anyhow::Result<()> {
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (name, value) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let value = value.trim().trim_matches('"');
            self.set(name, value)
                .with_context(|| format!("line {}: '{line}'", n + 1))?;
        }
        Ok(())
    }
}
