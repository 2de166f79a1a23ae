//! The latency settings: `latency-monitor-threshold`, `latency-tracking` and
//! `latency-tracking-info-percentiles`.
//!
//! Go original: none (go-redis had no latency monitor). Explained in: book chapter "Talking to
//! real clients", section "The latency monitor".
//!
//! The threshold turns the latency monitor (`log::latency`) on; tracking keeps a latency
//! histogram per command (`LATENCY HISTOGRAM`); the percentiles are the ones `INFO
//! latencystats` prints from those histograms. Values and error texts are Redis 7.0's.

/// The names, as `CONFIG GET` lists them.
pub const NAMES: [&str; 3] = [
    "latency-monitor-threshold",
    "latency-tracking",
    "latency-tracking-info-percentiles",
];

/// The three settings.
#[derive(Clone, Debug, PartialEq)]
pub struct LatencySettings {
    /// Events at least this many milliseconds long are recorded by the latency monitor; 0: off.
    pub monitor_threshold_ms: u64,
    /// Keep a latency histogram per command.
    pub tracking: bool,
    /// The percentiles `INFO latencystats` prints, each within 0..=100.
    pub info_percentiles: Vec<f64>,
}

impl Default for LatencySettings {
    fn default() -> Self {
        LatencySettings {
            monitor_threshold_ms: 0,
            tracking: true,
            info_percentiles: vec![50.0, 99.0, 99.9],
        }
    }
}

/// A percentile as Redis prints it: six decimals, then the trailing zeros (and a bare point)
/// dropped: `50`, `99.9`, `33.333333`.
pub fn percentile_name(p: f64) -> String {
    let s = format!("{p:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

impl LatencySettings {
    /// Sets the setting `name`, one of [`NAMES`].
    ///
    /// # Errors
    /// A malformed value, as the text Redis puts after the setting's name.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        match name {
            "latency-monitor-threshold" => {
                let n: i64 = value
                    .parse()
                    .map_err(|_| "argument couldn't be parsed into an integer".to_string())?;
                self.monitor_threshold_ms = u64::try_from(n).map_err(|_| {
                    format!("argument must be between 0 and {} inclusive", i64::MAX)
                })?;
            }
            "latency-tracking" => {
                self.tracking = match value.to_ascii_lowercase().as_str() {
                    "yes" => true,
                    "no" => false,
                    _ => return Err("argument must be 'yes' or 'no'".into()),
                }
            }
            "latency-tracking-info-percentiles" => self.info_percentiles = percentiles(value)?,
            other => return Err(format!("unknown setting '{other}'")),
        }
        Ok(())
    }

    /// The value `CONFIG GET name` answers, for a name in [`NAMES`].
    pub fn get(&self, name: &str) -> Option<String> {
        Some(match name {
            "latency-monitor-threshold" => self.monitor_threshold_ms.to_string(),
            "latency-tracking" => if self.tracking { "yes" } else { "no" }.to_string(),
            "latency-tracking-info-percentiles" => {
                let words: Vec<String> = self
                    .info_percentiles
                    .iter()
                    .map(|&p| percentile_name(p))
                    .collect();
                words.join(" ")
            }
            _ => return None,
        })
    }
}

/// Parses the percentiles: numbers separated by single spaces (Redis splits on each space, so
/// two in a row make an empty word, which is refused), or nothing at all for none.
fn percentiles(value: &str) -> Result<Vec<f64>, String> {
    if value.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for word in value.split(' ') {
        let p: f64 = word
            .parse()
            .map_err(|_| "Invalid latency-tracking-info-percentiles parameters".to_string())?;
        // NaN is refused with the range's words; Redis's range check lets it through.
        if !(0.0..=100.0).contains(&p) {
            return Err(
                "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                    .into(),
            );
        }
        out.push(p);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_and_print_like_redis() {
        let mut l = LatencySettings::default();
        assert_eq!(
            l.get("latency-tracking-info-percentiles").unwrap(),
            "50 99 99.9"
        );
        l.set(
            "latency-tracking-info-percentiles",
            "50.0 99.90 1e1 33.333333333",
        )
        .unwrap();
        assert_eq!(
            l.get("latency-tracking-info-percentiles").unwrap(),
            "50 99.9 10 33.333333"
        );
        l.set("latency-tracking-info-percentiles", "").unwrap();
        assert_eq!(l.get("latency-tracking-info-percentiles").unwrap(), "");
        for bad in ["50  99", " 50", "abc"] {
            let e = l.set("latency-tracking-info-percentiles", bad).unwrap_err();
            assert_eq!(e, "Invalid latency-tracking-info-percentiles parameters");
        }
        for bad in ["-1", "100.1", "inf", "nan"] {
            let e = l.set("latency-tracking-info-percentiles", bad).unwrap_err();
            assert!(e.contains("should sit between [0.0,100.0]"), "{bad}");
        }
        assert_eq!(
            l.set("latency-monitor-threshold", "-1").unwrap_err(),
            "argument must be between 0 and 9223372036854775807 inclusive"
        );
        assert_eq!(
            l.set("latency-monitor-threshold", "1k").unwrap_err(),
            "argument couldn't be parsed into an integer"
        );
        l.set("latency-monitor-threshold", "200").unwrap();
        assert_eq!(l.monitor_threshold_ms, 200);
        assert!(l.set("latency-tracking", "maybe").is_err());
        l.set("latency-tracking", "NO").unwrap();
        assert_eq!(l.get("latency-tracking").unwrap(), "no");
    }
}
