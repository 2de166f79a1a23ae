//! Exercise 15: `PFMERGE destkey [sourcekey ...]`.

use crate::aof_on;
use crate::common::*;

/// `PFADD key prefix0 prefix1 ...` for `range`, in one request.
fn fill(c: &mut Client, key: &str, prefix: &str, range: std::ops::Range<usize>) {
    let elements: Vec<String> = range.map(|i| format!("{prefix}{i}")).collect();
    let mut args = vec!["PFADD", key];
    args.extend(elements.iter().map(String::as_str));
    let reply = c.cmd(&args);
    assert!(reply == b":1\r\n" || reply == b":0\r\n", "{reply:?}");
}

#[test]
fn ex15_the_union_has_the_registers_of_every_element() {
    let s = start();
    let mut c = s.client();
    fill(&mut c, "a", "x", 0..1000);
    fill(&mut c, "b", "x", 500..1500);
    fill(&mut c, "all", "x", 0..1500);
    c.assert(&["PFMERGE", "d", "a", "b"], OK);
    // The merge is exact: the very sketch that adding every element to one key builds.
    assert_eq!(
        c.cmd(&["PFDEBUG", "GETREG", "d"]),
        c.cmd(&["PFDEBUG", "GETREG", "all"])
    );
    let count = c.cmd(&["PFCOUNT", "all"]);
    assert_eq!(c.cmd(&["PFCOUNT", "d"]), count);
    // The sources are unchanged.
    assert_eq!(c.cmd(&["PFCOUNT", "a", "b"]), count);
}

#[test]
fn ex15_the_destination_is_an_operand_and_keeps_its_ttl() {
    let s = start();
    let mut c = s.client();
    fill(&mut c, "a", "x", 0..300);
    fill(&mut c, "d", "y", 0..300);
    fill(&mut c, "both", "x", 0..300);
    fill(&mut c, "both", "y", 0..300);
    c.assert(&["EXPIRE", "d", "1000"], ":1\r\n");
    c.assert(&["PFMERGE", "d", "a"], OK);
    assert_eq!(
        c.cmd(&["PFDEBUG", "GETREG", "d"]),
        c.cmd(&["PFDEBUG", "GETREG", "both"])
    );
    let ttl = c.cmd(&["TTL", "d"]);
    assert!(
        ttl != b":-1\r\n" && ttl != b":-2\r\n",
        "the TTL is gone: {ttl:?}"
    );
}

#[test]
fn ex15_no_sources_or_missing_ones_make_an_empty_sketch() {
    let s = start();
    let mut c = s.client();
    c.assert(&["PFMERGE", "e"], OK);
    c.assert(&["EXISTS", "e"], ":1\r\n");
    c.assert(&["PFCOUNT", "e"], ":0\r\n");
    assert_eq!(
        c.cmd(&["GET", "e"]),
        b"$18\r\nHYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff\r\n"
    );
    c.assert(&["PFMERGE", "e", "nosuch"], OK);
    c.assert(&["PFCOUNT", "e"], ":0\r\n");
}

#[test]
fn ex15_dense_if_any_input_is_dense() {
    let s = start();
    let mut c = s.client();
    fill(&mut c, "small", "s", 0..20);
    fill(&mut c, "small2", "t", 0..20);
    fill(&mut c, "big", "b", 0..5000);
    c.assert(&["PFDEBUG", "ENCODING", "big"], "+dense\r\n");
    c.assert(&["PFMERGE", "m1", "small", "small2"], OK);
    c.assert(&["PFDEBUG", "ENCODING", "m1"], "+sparse\r\n");
    c.assert(&["PFMERGE", "m2", "small", "big"], OK);
    c.assert(&["PFDEBUG", "ENCODING", "m2"], "+dense\r\n");
}

#[test]
fn ex15_errors() {
    let s = start();
    let mut c = s.client();
    make_list(&s, "l");
    c.assert(&["SET", "text", "text"], OK);
    fill(&mut c, "h", "x", 0..10);
    c.assert(
        &["PFMERGE"],
        "-ERR wrong number of arguments for 'pfmerge' command\r\n",
    );
    c.assert(
        &["PFMERGE", "d", "text"],
        "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n",
    );
    c.assert(&["PFMERGE", "d", "l"], WRONGTYPE);
    // The destination is read too.
    c.assert(&["PFMERGE", "l", "h"], WRONGTYPE);
    c.assert(
        &["PFMERGE", "text"],
        "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n",
    );
    c.assert(&["EXISTS", "d"], ":0\r\n");
}

#[test]
fn ex15_the_log_replays_to_the_same_bytes_under_another_sparse_limit() {
    let s = start_with(aof_on);
    let mut c = s.client();
    fill(&mut c, "a", "x", 0..100);
    fill(&mut c, "b", "y", 0..100);
    c.assert(&["PFMERGE", "m", "a", "b"], OK);
    let before = c.cmd(&["GET", "m"]);
    let dir = s.stop();
    // Sparse or dense depends on `hll-sparse-max-bytes`: what the log holds must not.
    let s = start_in(dir, |cfg| {
        aof_on(cfg);
        cfg.hll_sparse_max_bytes = 20;
    });
    let mut c = s.client();
    assert_eq!(c.cmd(&["GET", "m"]), before);
}
