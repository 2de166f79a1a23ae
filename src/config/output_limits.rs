//! `client-output-buffer-limit`: how much output a client may have waiting, per client class.
//!
//! Go original: none (go-redis had no output limits). Explained in: book chapter "When clients
//! misbehave".

use super::parse_memory;

// ANCHOR: output_limits
/// `client-output-buffer-limit`: per client class, a hard limit in bytes, and a soft limit that
/// may be exceeded for some seconds (0: no limit). Only the hard limits are enforced here: the
/// hard limit is what bounds memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputLimits {
    /// `normal` clients: `[hard, soft, soft_seconds]`.
    pub normal: [u64; 3],
    /// `replica` (`slave`) clients: accepted and shown; there are no replicas here.
    pub replica: [u64; 3],
    /// `pubsub` clients (and `MONITOR`).
    pub pubsub: [u64; 3],
}

impl Default for OutputLimits {
    fn default() -> Self {
        OutputLimits {
            // Redis parity: Redis leaves normal clients unlimited (`normal 0 0 0`). Here a
            // normal client's thread writes its own replies with blocking writes, so what it
            // buffers is one pipeline's replies up to the 64 KB flush threshold; only a single
            // reply larger than that can grow the buffer, and one over 256 MB (`KEYS *` or
            // `LRANGE 0 -1` on a huge keyspace) is a mistake that should cost its client the
            // connection rather than the machine its memory. 256 MB is Redis's replica limit.
            normal: [256 * 1024 * 1024, 0, 0],
            replica: [256 * 1024 * 1024, 64 * 1024 * 1024, 60],
            pubsub: [32 * 1024 * 1024, 8 * 1024 * 1024, 60],
        }
    }
}

impl OutputLimits {
    /// Applies `class hard soft seconds [class hard soft seconds ...]`, as Redis parses it:
    /// all or nothing, with Redis's error texts.
    ///
    /// # Errors
    /// A wrong word count, an unknown class, or a bad number.
    pub fn parse_into(&mut self, value: &str) -> Result<(), String> {
        let words: Vec<&str> = value.split_whitespace().collect();
        if words.is_empty() || !words.len().is_multiple_of(4) {
            return Err("Wrong number of arguments in buffer limit configuration.".into());
        }
        let mut new = *self;
        for group in words.chunks(4) {
            let slot = match group[0].to_ascii_lowercase().as_str() {
                "normal" => &mut new.normal,
                "slave" | "replica" => &mut new.replica,
                "pubsub" => &mut new.pubsub,
                _ => {
                    return Err(
                        "Invalid client class specified in buffer limit configuration.".into(),
                    );
                }
            };
            let bad = || {
                "Error in hard, soft or soft_seconds setting in buffer limit configuration."
                    .to_string()
            };
            let hard = parse_memory(group[1]).map_err(|_| bad())?;
            let soft = parse_memory(group[2]).map_err(|_| bad())?;
            let secs: u64 = group[3].parse().map_err(|_| bad())?;
            *slot = [hard, soft, secs];
        }
        *self = new;
        Ok(())
    }

    /// The value `CONFIG GET client-output-buffer-limit` answers, in Redis's order.
    pub fn render(&self) -> String {
        let [n, r, p] = [self.normal, self.replica, self.pubsub];
        format!(
            "normal {} {} {} slave {} {} {} pubsub {} {} {}",
            n[0], n[1], n[2], r[0], r[1], r[2], p[0], p[1], p[2]
        )
    }
}
// ANCHOR_END: output_limits
