//! The latency histogram: fixed memory for any number of requests, percentiles within 0.8 %.
//!
//! Go original: `cmd/benchmark/main.go` (it kept only the average). Explained in: book chapter
//! "Benchmarks".
//!
//! Every client thread records into its own [`Histogram`] (no lock on the hot path) and the run
//! merges them at the end: merging is adding counters, so it loses nothing.

// ANCHOR: histogram
/// A latency histogram in microseconds with log-linear buckets, in the manner of HdrHistogram.
///
/// Values below 128 µs have a bucket each; above, every power of two is split into 128 equal
/// buckets, so a bucket is never wider than 1/128 (0.8 %) of the values it holds. The whole `u64`
/// range fits in 7,424 counters (58 KB), however many requests are recorded: a sorted list of
/// a million samples would take 8 MB and a sort, and grow with `-n`.
#[derive(Clone, Debug)]
pub(crate) struct Histogram {
    /// One counter per bucket; see [`Histogram::index`].
    counts: Vec<u64>,
    /// How many values were recorded.
    pub(crate) count: u64,
    /// Their sum, for the mean (saturating: it never wraps).
    sum: u64,
    /// The smallest value recorded; `u64::MAX` while empty.
    pub(crate) min: u64,
    /// The largest value recorded; 0 while empty.
    pub(crate) max: u64,
}

/// log2 of the number of buckets per power of two.
const SUB_BITS: u32 = 7;
/// Buckets per power of two, and the number of exact buckets at the bottom.
const SUB: u64 = 1 << SUB_BITS;

impl Histogram {
    /// An empty histogram.
    pub(crate) fn new() -> Histogram {
        Histogram {
            counts: vec![0; ((64 - SUB_BITS + 1) as usize) << SUB_BITS],
            count: 0,
            sum: 0,
            min: u64::MAX,
            max: 0,
        }
    }

    /// The bucket of `v`: below `SUB` the value itself; above, the octave and the `SUB_BITS`
    /// bits that follow the value's highest set bit.
    fn index(v: u64) -> usize {
        if v < SUB {
            return v as usize;
        }
        let msb = 63 - v.leading_zeros(); // >= SUB_BITS
        let shift = msb - SUB_BITS;
        let top = v >> shift; // in SUB..2*SUB
        ((shift as u64 + 1) * SUB + (top - SUB)) as usize
    }

    /// The largest value that falls in bucket `i`.
    fn highest_in(i: usize) -> u64 {
        let i = i as u64;
        if i < SUB {
            return i;
        }
        let shift = i / SUB - 1;
        let top = (i % SUB + SUB) as u128;
        (((top + 1) << shift) - 1).min(u64::MAX as u128) as u64
    }

    /// Counts one latency, in microseconds.
    pub(crate) fn record(&mut self, micros: u64) {
        self.counts[Histogram::index(micros)] += 1;
        self.count += 1;
        self.sum = self.sum.saturating_add(micros);
        self.min = self.min.min(micros);
        self.max = self.max.max(micros);
    }

    /// Adds every recording of `other`, as if both had been recorded here.
    pub(crate) fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.count += other.count;
        self.sum = self.sum.saturating_add(other.sum);
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// The value at percentile `p` (0..=100): the smallest recorded value such that `p` % of
    /// the recordings are at most it, up to the bucket's width (as HdrHistogram, we answer the
    /// bucket's highest value, never more than the true maximum). 0 when empty.
    pub(crate) fn percentile(&self, p: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        // The small subtraction keeps floating-point noise (99.9 % of 10,000 = 9,990.000000001)
        // from pushing the rank one past an exact boundary.
        let rank = ((p * self.count as f64 / 100.0 - 1e-9).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Histogram::highest_in(i).min(self.max);
            }
        }
        self.max
    }

    /// The mean of the recorded values; 0 when empty.
    pub(crate) fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum as f64 / self.count as f64
        }
    }
}
// ANCHOR_END: histogram

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_contiguous_and_tight() {
        // Every value lands in a bucket whose highest value is >= it and within 1/128 of it,
        // and bucket indexes never go backwards.
        let mut last = 0;
        let mut v = 0u64;
        while v < 1 << 40 {
            let i = Histogram::index(v);
            assert!(i >= last, "index went back at {v}");
            last = i;
            let high = Histogram::highest_in(i);
            assert!(
                high >= v && high - v <= v / SUB,
                "value {v} bucket high {high}"
            );
            assert_eq!(Histogram::index(high), i);
            assert_eq!(Histogram::index(high + 1), i + 1);
            v = v * 17 / 16 + 1;
        }
        assert_eq!(
            Histogram::index(u64::MAX),
            Histogram::new().counts.len() - 1
        );
        assert_eq!(Histogram::highest_in(Histogram::index(u64::MAX)), u64::MAX);
    }

    #[test]
    fn percentiles_of_a_known_distribution() {
        let mut h = Histogram::new();
        assert_eq!(h.percentile(50.0), 0);
        // 1..=1000 µs, one each: p50 is 500, p99 990, p99.9 999, up to the bucket width.
        for v in 1..=1000 {
            h.record(v);
        }
        let near = |got: u64, want: u64| got >= want && got - want <= want / SUB;
        assert!(near(h.percentile(50.0), 500), "{}", h.percentile(50.0));
        assert!(near(h.percentile(99.0), 990), "{}", h.percentile(99.0));
        assert!(near(h.percentile(99.9), 999), "{}", h.percentile(99.9));
        assert_eq!(h.percentile(100.0), 1000);
        assert_eq!(h.percentile(0.0), 1);
        assert_eq!((h.min, h.max, h.mean()), (1, 1000, 500.5));
        // One slow outlier among fast requests moves p99.9 and max only.
        let mut a = Histogram::new();
        for _ in 0..9_990 {
            a.record(20);
        }
        let mut b = Histogram::new();
        for _ in 0..10 {
            b.record(50_000);
        }
        a.merge(&b);
        assert_eq!(
            (a.percentile(50.0), a.percentile(99.0), a.percentile(99.9)),
            (20, 20, 20)
        );
        assert!(near(a.percentile(99.95), 50_000));
        assert_eq!(a.max, 50_000);
    }
}
