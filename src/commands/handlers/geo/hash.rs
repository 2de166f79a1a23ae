//! The geohash: a point on the map as one 52-bit number, and the boxes around it.
//!
//! Go original: none (go-redis had no geo commands). Explained in: book chapter "Geo".
//!
//! Pure arithmetic, no store and no replies. It follows Redis's `geohash.c` and
//! `geohash_helper.c` operation for operation, because a search must find and print exactly
//! what Redis finds and prints: the same boxes, the same float roundings, the same distances.
//!
//! A coordinate becomes an integer by asking "which of 2^step equal slices of the range holds
//! it?" The latitude's and the longitude's slice numbers are then interleaved, bit by bit
//! (longitude in the odd bits, latitude in the even ones), so that numbers sharing a prefix
//! share a box: every box of the grid is one range of scores in the sorted set.

/// The latitudes a point may have: Web Mercator's limits (EPSG:3857), as in Redis.
pub const LAT_MIN: f64 = -85.05112878;
/// The northern limit.
pub const LAT_MAX: f64 = 85.05112878;
/// The western limit.
pub const LON_MIN: f64 = -180.0;
/// The eastern limit.
pub const LON_MAX: f64 = 180.0;
/// Bits per coordinate in a stored score: 26 + 26 = 52, exactly what a double holds.
pub const STEP_MAX: u8 = 26;
/// Redis's earth radius, in metres; every distance depends on it to the last digit.
const EARTH_RADIUS: f64 = 6372797.560856;
/// Half the earth's circumference in Web Mercator metres: where the step estimate starts.
const MERCATOR_MAX: f64 = 20037726.37;

/// A box of the grid: `step` bits per coordinate, interleaved in `bits`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hash {
    /// The interleaved slice numbers, `2 * step` bits.
    pub bits: u64,
    /// Bits per coordinate, 1 to 26 (0 with `bits == 0`: a box left out of a search).
    pub step: u8,
}

impl Hash {
    /// The box that is no box: a neighbour a search leaves out.
    pub const NONE: Hash = Hash { bits: 0, step: 0 };

    fn is_none(self) -> bool {
        self.bits == 0 && self.step == 0
    }
}

/// A range of one coordinate.
#[derive(Clone, Copy, Debug)]
pub struct Range {
    /// The low end.
    pub min: f64,
    /// The high end.
    pub max: f64,
}

/// The ranges scores are made in: longitude, latitude (Mercator's).
pub const STORE_RANGES: (Range, Range) = (
    Range {
        min: LON_MIN,
        max: LON_MAX,
    },
    Range {
        min: LAT_MIN,
        max: LAT_MAX,
    },
);
/// The ranges of the standard geohash strings (`GEOHASH`): the whole globe.
pub const WORLD_RANGES: (Range, Range) = (
    Range {
        min: LON_MIN,
        max: LON_MAX,
    },
    Range {
        min: -90.0,
        max: 90.0,
    },
);

/// The area a box covers.
#[derive(Clone, Copy, Debug)]
pub struct Area {
    /// West to east.
    pub lon: Range,
    /// South to north.
    pub lat: Range,
}

/// Spreads the 32 bits of `v` to the even bits of a `u64`.
fn spread(v: u32) -> u64 {
    let mut x = u64::from(v);
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    (x | (x << 1)) & 0x5555_5555_5555_5555
}

/// Gathers the even bits of `x` into a `u32`: `spread` undone.
fn squash(x: u64) -> u32 {
    let mut x = x & 0x5555_5555_5555_5555;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF;
    ((x | (x >> 16)) & 0x0000_0000_FFFF_FFFF) as u32
}

// ANCHOR: encode
/// The box of `step` bits per coordinate that holds the point, or `None` outside the ranges
/// (or outside Mercator's latitudes, whatever the ranges).
pub fn encode(ranges: (Range, Range), lon: f64, lat: f64, step: u8) -> Option<Hash> {
    let (lon_r, lat_r) = ranges;
    let outside = |v: f64, r: Range| !(v >= r.min && v <= r.max);
    if step == 0 || step > 32 || outside(lon, lon_r) || outside(lat, lat_r) {
        return None;
    }
    if !(LON_MIN..=LON_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return None;
    }
    // Where in the range, from 0 to 1, then which of the 2^step slices: C's truncating cast.
    let slices = (1u64 << step) as f64;
    let lat_slice = ((lat - lat_r.min) / (lat_r.max - lat_r.min) * slices) as u32;
    let lon_slice = ((lon - lon_r.min) / (lon_r.max - lon_r.min) * slices) as u32;
    // Longitude takes the higher bit of each pair, so the first split is west/east.
    let bits = spread(lat_slice) | (spread(lon_slice) << 1);
    Some(Hash { bits, step })
}
// ANCHOR_END: encode

/// The area a box covers.
pub fn decode(ranges: (Range, Range), hash: Hash) -> Option<Area> {
    if hash.is_none() {
        return None;
    }
    let (lon_r, lat_r) = ranges;
    let lat_slice = squash(hash.bits);
    let lon_slice = squash(hash.bits >> 1);
    let slices = (1u64 << hash.step) as f64;
    let edge = |r: Range, slice: u32| r.min + (f64::from(slice) / slices) * (r.max - r.min);
    Some(Area {
        lat: Range {
            min: edge(lat_r, lat_slice),
            max: edge(lat_r, lat_slice.wrapping_add(1)),
        },
        lon: Range {
            min: edge(lon_r, lon_slice),
            max: edge(lon_r, lon_slice.wrapping_add(1)),
        },
    })
}

/// The point a stored score stands for: the centre of its 26-bit box, kept within the limits.
pub fn decode_score(score: f64) -> (f64, f64) {
    let hash = Hash {
        bits: score as u64,
        step: STEP_MAX,
    };
    let Some(area) = decode(STORE_RANGES, hash) else {
        return (0.0, 0.0);
    };
    let lon = ((area.lon.min + area.lon.max) / 2.0).clamp(LON_MIN, LON_MAX);
    let lat = ((area.lat.min + area.lat.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    (lon, lat)
}

/// The score a point is stored under, if it lies within the limits.
pub fn score_of(lon: f64, lat: f64) -> Option<f64> {
    encode(STORE_RANGES, lon, lat, STEP_MAX).map(|h| h.bits as f64)
}

/// The lowest score of a box and the first score past it: the box as a sorted-set range.
pub fn score_range(hash: Hash) -> (u64, u64) {
    let shift = 52 - 2 * u32::from(hash.step);
    (hash.bits << shift, (hash.bits + 1) << shift)
}

/// Moves a box one column east (`+1`) or west (`-1`); `odd` picks the longitude bits, else
/// the latitude ones (north, south). The arithmetic wraps, so east of the last column is the
/// first one: the antimeridian costs nothing.
fn shift(hash: Hash, odd: bool, d: i8) -> Hash {
    // A box of no bits has no neighbours (and the shifts below need a step).
    if d == 0 || hash.step == 0 {
        return hash;
    }
    let (mine, other) = if odd {
        (0xAAAA_AAAA_AAAA_AAAAu64, 0x5555_5555_5555_5555u64)
    } else {
        (0x5555_5555_5555_5555u64, 0xAAAA_AAAA_AAAA_AAAAu64)
    };
    let width = 64 - 2 * u32::from(hash.step);
    let mut x = hash.bits & mine;
    let y = hash.bits & other;
    // The other coordinate's bits, all ones: adding past them carries into ours.
    let zz = other >> width;
    if d > 0 {
        x = x.wrapping_add(zz + 1);
    } else {
        x = (x | zz).wrapping_sub(zz + 1);
    }
    x &= mine >> width;
    Hash {
        bits: x | y,
        step: hash.step,
    }
}

/// The eight boxes around one, in Redis's search order after the centre itself.
#[derive(Clone, Copy, Debug)]
pub struct Neighbours {
    /// North, south, east, west, north-east, north-west, south-east, south-west.
    pub boxes: [Hash; 8],
}

/// The eight neighbours of a box.
pub fn neighbours(h: Hash) -> Neighbours {
    let at = |dx: i8, dy: i8| shift(shift(h, true, dx), false, dy);
    Neighbours {
        boxes: [
            at(0, 1),
            at(0, -1),
            at(1, 0),
            at(-1, 0),
            at(1, 1),
            at(-1, 1),
            at(1, -1),
            at(-1, -1),
        ],
    }
}

fn deg_rad(d: f64) -> f64 {
    d * (std::f64::consts::PI / 180.0)
}

fn rad_deg(r: f64) -> f64 {
    r / (std::f64::consts::PI / 180.0)
}

/// The distance between two latitudes on one meridian, in metres.
pub fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS * (deg_rad(lat2) - deg_rad(lat1)).abs()
}

// ANCHOR: distance
/// The great-circle distance in metres (the haversine formula, on Redis's sphere).
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let v = ((deg_rad(lon2) - deg_rad(lon1)) / 2.0).sin();
    // On one meridian the formula reduces to the latitude difference; Redis takes that path,
    // and its rounding differs in the last bits, so we take it too.
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let (lat1r, lat2r) = (deg_rad(lat1), deg_rad(lat2));
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS * a.sqrt().asin()
}
// ANCHOR_END: distance

/// What a search covers: a circle or a box, in the units the client named.
#[derive(Clone, Copy, Debug)]
pub enum Shape {
    /// `BYRADIUS`.
    Circle {
        /// In the client's unit.
        radius: f64,
    },
    /// `BYBOX`.
    Rect {
        /// East-west, in the client's unit.
        width: f64,
        /// North-south, in the client's unit.
        height: f64,
    },
}

impl Shape {
    /// The distance in metres from `(lon, lat)` to the point if the point lies in the shape
    /// centred there; `metres` per unit of the shape.
    pub fn contains(self, metres: f64, lon: f64, lat: f64, plon: f64, plat: f64) -> Option<f64> {
        match self {
            Shape::Circle { radius } => {
                Some(distance(lon, lat, plon, plat)).filter(|&d| d <= radius * metres)
            }
            Shape::Rect { width, height } => {
                let (width, height) = (width * metres, height * metres);
                // Latitude first: it is the cheaper test.
                if lat_distance(plat, lat) > height / 2.0
                    || distance(plon, plat, lon, plat) > width / 2.0
                {
                    return None;
                }
                Some(distance(lon, lat, plon, plat))
            }
        }
    }
}

/// How many bits per coordinate make a box about as big as the search: halve the world until
/// the range no longer fits, then go two steps coarser, and coarser still near the poles.
fn estimate_step(range: f64, lat: f64) -> u8 {
    if range == 0.0 {
        return STEP_MAX;
    }
    let mut range = range;
    let mut step: i32 = 1;
    while range < MERCATOR_MAX {
        range *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, i32::from(STEP_MAX)) as u8
}

// ANCHOR: search_boxes
/// The nine boxes (the centre's first) whose members a search must look at; boxes the shape
/// cannot reach are [`Hash::NONE`].
/// `metres` per unit of the shape.
pub fn search_boxes(lon: f64, lat: f64, shape: Shape, metres: f64) -> [Hash; 9] {
    // Each product in the order Redis computes it: the roundings must be the same.
    let (half_w, half_h, reach) = match shape {
        Shape::Circle { radius } => (metres * radius, metres * radius, radius * metres),
        Shape::Rect { width, height } => {
            let (w, h) = (width / 2.0, height / 2.0);
            (metres * w, metres * h, (w * w + h * h).sqrt() * metres)
        }
    };
    // The bounding box in degrees. A degree of longitude shrinks towards the pole, so the
    // box is widest on its edge nearer the pole.
    let lat_delta = rad_deg(half_h / EARTH_RADIUS);
    let lon_delta_top = rad_deg(half_w / EARTH_RADIUS / deg_rad(lat + lat_delta).cos());
    let lon_delta_bottom = rad_deg(half_w / EARTH_RADIUS / deg_rad(lat - lat_delta).cos());
    let lon_delta = if lat < 0.0 {
        lon_delta_bottom
    } else {
        lon_delta_top
    };
    let (min_lon, max_lon) = (lon - lon_delta, lon + lon_delta);
    let (min_lat, max_lat) = (lat - lat_delta, lat + lat_delta);

    let mut step = estimate_step(reach, lat);
    let make = |step| {
        let hash = encode(STORE_RANGES, lon, lat, step).unwrap_or(Hash::NONE);
        (hash, neighbours(hash), decode(STORE_RANGES, hash))
    };
    let (mut hash, mut n, mut area) = make(step);
    // Near a box's edge the estimate may be one step too fine for a neighbour to cover the
    // shape; then take boxes twice as big.
    let edge = |h: Hash| decode(STORE_RANGES, h);
    let [north, south, east, west, ..] = n.boxes;
    let too_small = edge(north).is_some_and(|a| a.lat.max < max_lat)
        || edge(south).is_some_and(|a| a.lat.min > min_lat)
        || edge(east).is_some_and(|a| a.lon.max < max_lon)
        || edge(west).is_some_and(|a| a.lon.min > min_lon);
    if step > 1 && too_small {
        step -= 1;
        (hash, n, area) = make(step);
    }
    // Leave out the neighbours beyond the shape's bounding box.
    if step >= 2
        && let Some(a) = area
    {
        let b = &mut n.boxes;
        let mut drop = |ix: [usize; 3]| ix.iter().for_each(|&i| b[i] = Hash::NONE);
        if a.lat.min < min_lat {
            drop([1, 6, 7]); // south, south-east, south-west
        }
        if a.lat.max > max_lat {
            drop([0, 4, 5]); // north, north-east, north-west
        }
        if a.lon.min < min_lon {
            drop([3, 7, 5]); // west, south-west, north-west
        }
        if a.lon.max > max_lon {
            drop([2, 6, 4]); // east, south-east, north-east
        }
    }
    let b = n.boxes;
    [hash, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]
}
// ANCHOR_END: search_boxes

/// The 11-character standard geohash of a stored score (`GEOHASH`): the point re-encoded over
/// the whole globe's latitudes, five bits a character; the 52 bits leave the last one `0`.
pub fn geohash_string(score: f64) -> Option<[u8; 11]> {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let (lon, lat) = decode_score(score);
    let hash = encode(WORLD_RANGES, lon, lat, STEP_MAX)?;
    let mut out = [b'0'; 11];
    for (i, c) in out.iter_mut().enumerate().take(10) {
        let idx = (hash.bits >> (52 - (i + 1) * 5)) & 0x1f;
        *c = ALPHABET[idx as usize];
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_comes_back_as_the_centre_of_its_box() {
        let score = score_of(13.361389, 38.115556).unwrap();
        assert_eq!(score, 3479099956230698.0);
        let (lon, lat) = decode_score(score);
        assert!((lon - 13.361389).abs() < 1e-5 && (lat - 38.115556).abs() < 1e-5);
        assert_eq!(score_of(0.0, 86.0), None);
        assert_eq!(score_of(180.5, 0.0), None);
    }

    #[test]
    fn east_of_the_last_column_is_the_first() {
        let h = encode(STORE_RANGES, 179.99, 0.0, 4).unwrap();
        let east = neighbours(h).boxes[2];
        let area = decode(STORE_RANGES, east).unwrap();
        assert_eq!(area.lon.min, -180.0);
    }

    #[test]
    fn geohash_strings_are_the_standard_ones() {
        let score = score_of(13.361389, 38.115556).unwrap();
        assert_eq!(&geohash_string(score).unwrap(), b"sqc8b49rny0");
    }

    #[test]
    fn distances_use_redis_s_sphere() {
        // As GEODIST measures it: between the centres of the two stored boxes.
        let (a, b) = (
            score_of(13.361389, 38.115556).unwrap(),
            score_of(15.087269, 37.502669).unwrap(),
        );
        let ((lon1, lat1), (lon2, lat2)) = (decode_score(a), decode_score(b));
        assert_eq!(
            format!("{:.4}", distance(lon1, lat1, lon2, lat2)),
            "166274.1516"
        );
        assert_eq!(distance(1.0, 10.0, 1.0, 11.0), lat_distance(10.0, 11.0));
    }
}
