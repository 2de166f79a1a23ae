//! Per-command latency histograms, for `LATENCY HISTOGRAM` and `INFO latencystats`.
//!
//! Go original: none (go-redis kept no latency figures). Explained in: book chapter "Talking to
//! real clients", section "The latency monitor".
//!
//! Each client keeps one histogram per command it ran, beside its other `INFO commandstats`
//! figures ([`super::clients::CommandStats`]), so counting a call touches nothing shared;
//! `LATENCY HISTOGRAM` sums them when asked, as `INFO commandstats` sums the rest.

// ANCHOR: histogram
/// How many latency buckets a histogram has: from 1 µs to past 1 s, each twice as wide as the
/// one before.
pub const BUCKETS: usize = 21;

/// The upper end of each bucket, in microseconds, as `LATENCY HISTOGRAM` labels it.
///
/// Redis keeps an HdrHistogram of nanoseconds and reports it in powers of two from 1024 ns,
/// each labelled with the largest value its bucket holds, in whole microseconds. At the two
/// significant digits Redis asks for, HdrHistogram cannot tell apart values within 1/128 of a
/// power of two, so the bucket that ends at `1024 * 2^k` ns really ends `8 * 2^k - 1` ns later,
/// at `1032 * 2^k - 1`. These are those tops, so a client reading both servers finds the same
/// labels, and the same bucket for the same duration.
const BUCKET_TOPS: [u64; BUCKETS] = {
    let mut tops = [0; BUCKETS];
    let mut k = 0;
    while k < BUCKETS {
        tops[k] = ((1032u64 << k) - 1) / 1000;
        k += 1;
    }
    tops
};

/// The bucket a call of `micros` falls in, without a search: every call pays for this.
///
/// The call is `x = 1000 * micros` ns, and bucket `k` holds what is below `1032 * 2^k` ns (its top
/// plus one). Since `1032 * 2^k` is a multiple of 1032, `x < 1032 * 2^k` exactly when
/// `x / 1032 < 2^k` in whole numbers, so `k` is the number of bits of `x / 1032`.
#[inline]
fn bucket(micros: u64) -> usize {
    let q = micros.saturating_mul(1000) / 1032;
    ((u64::BITS - q.leading_zeros()) as usize).min(BUCKETS - 1)
}

/// One command's latency histogram: how many calls fell in each bucket of [`BUCKET_TOPS`].
///
/// Counting a call is a few arithmetic instructions ([`bucket`]) and one add, on the calling client's own figures, under the lock `INFO commandstats` already
/// takes; `LATENCY HISTOGRAM` sums the clients' histograms when asked. Powers of two are
/// coarse (a percentile is known within a factor of two) but small enough to keep one per
/// command per client; Redis's finer HdrHistogram is one per command for its single thread.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LatencyHistogram {
    counts: [u64; BUCKETS],
}

impl LatencyHistogram {
    /// Counts a call that took `micros`. A call past the last bucket counts in it, as Redis
    /// caps its histogram at one second.
    #[inline]
    pub fn count(&mut self, micros: u64) {
        self.counts[bucket(micros)] += 1;
    }

    /// Calls counted.
    pub fn calls(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &LatencyHistogram) {
        for (a, b) in self.counts.iter_mut().zip(other.counts) {
            *a += b;
        }
    }

    /// The cumulative distribution, as `LATENCY HISTOGRAM` prints it: for each bucket that
    /// holds calls, its label and how many calls took at most that long.
    pub fn cumulative(&self) -> Vec<(u64, u64)> {
        let mut total = 0;
        let mut out = Vec::new();
        for (&top, &n) in BUCKET_TOPS.iter().zip(&self.counts) {
            total += n;
            if n > 0 {
                out.push((top, total));
            }
        }
        out
    }

    /// The latency in microseconds under which `p` percent of the calls fell: the top of the
    /// first bucket that reaches that share (in Redis's manner: at least one call, rounded
    /// to the nearest). `None` if nothing was counted.
    pub fn percentile(&self, p: f64) -> Option<f64> {
        let calls = self.calls();
        if calls == 0 {
            return None;
        }
        let wanted = ((p / 100.0 * calls as f64 + 0.5) as u64).clamp(1, calls);
        let mut total = 0;
        for (k, &n) in self.counts.iter().enumerate() {
            total += n;
            if total >= wanted {
                // The bucket's top in nanoseconds, in microseconds with three decimals.
                return Some(((1032u64 << k) - 1) as f64 / 1000.0);
            }
        }
        None
    }
}
// ANCHOR_END: histogram

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_of_a_call_is_the_first_whose_top_it_does_not_pass() {
        let by_search = |m: u64| {
            BUCKET_TOPS
                .iter()
                .position(|&top| m <= top)
                .unwrap_or(BUCKETS - 1)
        };
        for m in (0..2_000_000).chain([u64::MAX / 1000, u64::MAX]) {
            assert_eq!(bucket(m), by_search(m), "{m} µs");
        }
    }

    #[test]
    fn histogram_buckets_are_labelled_as_redis_labels_them() {
        // Read off a real Redis 7.0.15 (`LATENCY HISTOGRAM` after calls of known lengths).
        let redis = [
            1, 2, 4, 8, 16, 33, 66, 132, 264, 528, 1056, 2113, 4227, 8454, 16908, 33816, 67633,
            135266, 270532, 541065, 1082130,
        ];
        assert_eq!(BUCKET_TOPS, redis);
        let mut h = LatencyHistogram::default();
        for micros in [0, 1, 2, 3, 4, 60, 3000, 5_000_000] {
            h.count(micros);
        }
        assert_eq!(h.calls(), 8);
        assert_eq!(
            h.cumulative(),
            vec![(1, 2), (2, 3), (4, 5), (66, 6), (4227, 7), (1082130, 8)]
        );
        assert_eq!(h.percentile(50.0), Some(4.127));
        assert_eq!(h.percentile(0.0), Some(1.031), "at least one call");
        assert_eq!(h.percentile(100.0), Some(1082130.431));
        assert_eq!(LatencyHistogram::default().percentile(50.0), None);
        let mut sum = h;
        sum.add(&h);
        assert_eq!(sum.calls(), 16);
    }
}
