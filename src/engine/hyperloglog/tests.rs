//! Unit tests of the encodings and the estimator.

use super::*;

fn filled(n: u32) -> Vec<u8> {
    let mut v = new_sparse();
    let elements: Vec<String> = (0..n).map(|i| format!("e{i}")).collect();
    add(&mut v, elements.iter().map(|e| e.as_bytes()), u64::MAX).unwrap();
    v
}

#[test]
fn new_value_is_redis_s_18_bytes() {
    assert_eq!(new_sparse(), b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff");
    assert_eq!(check(&new_sparse()), Ok(Encoding::Sparse));
    assert_eq!(cached(&new_sparse()), Some(0));
}

#[test]
fn dense_registers_round_trip() {
    let mut body = vec![0u8; DENSE_SIZE - HEADER];
    for i in 0..REGISTERS {
        codec::set_dense(&mut body, i, (i % 64) as u8);
    }
    for i in 0..REGISTERS {
        assert_eq!(codec::get_dense(&body, i), (i % 64) as u8);
    }
}

#[test]
fn sparse_and_dense_count_alike() {
    for n in [0, 1, 10, 100, 1000, 5000] {
        let sparse = filled(n);
        let regs = registers(&sparse).unwrap();
        let dense = encode_dense(&regs, [0; 8]);
        assert_eq!(check(&dense), Ok(Encoding::Dense));
        assert_eq!(*registers(&dense).unwrap(), *regs);
        assert_eq!(count(&registers(&dense).unwrap()), count(&regs));
    }
}

#[test]
fn promotes_past_the_limit() {
    let mut v = new_sparse();
    let elements: Vec<String> = (0..5000).map(|i| format!("e{i}")).collect();
    add(&mut v, elements.iter().map(|e| e.as_bytes()), 3000).unwrap();
    assert_eq!(check(&v), Ok(Encoding::Dense));
    assert_eq!(v.len(), DENSE_SIZE);
}

#[test]
fn cache_flag_lives_in_byte_15() {
    let mut v = filled(3);
    assert_eq!(v[15] & 0x80, 0x80);
    assert_eq!(cached(&v), None);
    set_cached(&mut v, 3);
    assert_eq!(cached(&v), Some(3));
}

#[test]
fn corrupt_sparse_is_reported_not_trusted() {
    let mut v = filled(3);
    v.extend_from_slice(b"hello");
    assert_eq!(registers(&v).err(), Some(HllError::Corrupt));
    assert_eq!(add(&mut v, [], 3000), Ok(false));
    assert_eq!(add(&mut v, [b"x".as_slice()], 3000), Err(HllError::Corrupt));
    let mut short = new_sparse();
    short.pop();
    assert_eq!(registers(&short).err(), Some(HllError::Corrupt));
    assert_eq!(
        check(b"HYLL\x02\0\0\0\0\0\0\0\0\0\0\0"),
        Err(HllError::NotHll)
    );
    assert_eq!(
        check(b"HYLL\0\0\0\0\0\0\0\0\0\0\0\0\x7f\xff"),
        Err(HllError::NotHll)
    );
}

#[test]
fn random_bytes_never_panic() {
    use rand::Rng;
    let mut rng = rand::rng();
    for _ in 0..2000 {
        let mut v = filled(rng.random_range(0..300));
        for _ in 0..3 {
            let at = rng.random_range(0..v.len());
            v[at] = rng.random();
        }
        if let Ok(regs) = registers(&v) {
            let _ = count(&regs);
        }
        let _ = add(&mut v, [b"x".as_slice()], 3000);
        let _ = decode_sparse_text(&v);
    }
}

#[test]
fn error_is_within_a_few_percent() {
    for n in [100u32, 1000, 10_000, 100_000] {
        let c = count(&registers(&filled(n)).unwrap()) as f64;
        assert!(
            (c - n as f64).abs() / (n as f64) < 0.05,
            "{n} estimated {c}"
        );
    }
}
