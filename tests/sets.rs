//! Set commands over a real socket, with replies checked byte for byte against Redis 7 (where
//! the order of members is unspecified, only sizes and single members are compared).

mod common;

use std::collections::HashSet;

use common::*;

#[test]
fn add_remove_and_membership() {
    let s = start();
    let mut c = s.client();
    c.assert(&["sadd", "s", "a", "b", "c"], ":3\r\n");
    c.assert(&["sadd", "s", "a", "d"], ":1\r\n");
    c.assert(&["scard", "s"], ":4\r\n");
    c.assert(&["sismember", "s", "a"], ":1\r\n");
    c.assert(&["sismember", "s", "zz"], ":0\r\n");
    c.assert(
        &["smismember", "s", "a", "zz", "d"],
        "*3\r\n:1\r\n:0\r\n:1\r\n",
    );
    c.assert(&["srem", "s", "a", "zz"], ":1\r\n");
    c.assert(&["srem", "s", "b", "c", "d"], ":3\r\n");
    c.assert(&["scard", "s"], ":0\r\n");
    c.assert(&["smembers", "s"], "*0\r\n");
    c.assert(&["sismember", "nos", "a"], ":0\r\n");
    c.assert(&["srem", "nos", "a"], ":0\r\n");
}

#[test]
fn algebra_and_store() {
    let s = start();
    let mut c = s.client();
    c.assert(&["sadd", "a", "1", "2", "3"], ":3\r\n");
    c.assert(&["sadd", "b", "2", "3", "4"], ":3\r\n");
    c.assert(&["sadd", "c", "3", "9"], ":2\r\n");
    c.assert(&["sinter", "a", "b", "c"], "*1\r\n$1\r\n3\r\n");
    c.assert(&["sdiff", "a", "b", "c"], "*1\r\n$1\r\n1\r\n");
    c.assert(&["sinterstore", "d", "a", "b"], ":2\r\n");
    c.assert(&["scard", "d"], ":2\r\n");
    c.assert(&["sdiffstore", "d", "a", "b", "c"], ":1\r\n");
    c.assert(&["smembers", "d"], "*1\r\n$1\r\n1\r\n");
    c.assert(&["sunionstore", "d", "a", "b", "c"], ":5\r\n");
    c.assert(&["scard", "d"], ":5\r\n");
    c.assert(&["sinterstore", "d", "a", "nos"], ":0\r\n");
    c.assert(&["smembers", "d"], "*0\r\n");
    c.assert(&["scard", "d"], ":0\r\n");
    c.assert(&["sintercard", "2", "a", "b"], ":2\r\n");
    c.assert(&["sintercard", "2", "a", "b", "limit", "1"], ":1\r\n");
    c.assert(&["sintercard", "1", "a", "limit", "0"], ":3\r\n");
    c.assert(
        &["sintercard", "x", "a"],
        "-ERR numkeys should be greater than 0\r\n",
    );
    c.assert(
        &["sintercard", "2", "a"],
        "-ERR Number of keys can't be greater than number of args\r\n",
    );
    c.assert(
        &["sintercard", "1", "a", "limit", "x"],
        "-ERR LIMIT can't be negative\r\n",
    );
    c.assert(
        &["sintercard", "1", "a", "foo", "1"],
        "-ERR syntax error\r\n",
    );
    c.assert(&["sunion", "nos1", "nos2"], "*0\r\n");
}

#[test]
fn pop_random_and_move() {
    let s = start();
    let mut c = s.client();
    c.assert(&["sadd", "s", "only"], ":1\r\n");
    c.assert(&["spop", "s"], "$4\r\nonly\r\n");
    c.assert(&["spop", "s"], "$-1\r\n");
    c.assert(&["spop", "s", "2"], "*0\r\n");
    c.assert(
        &["spop", "s", "x"],
        "-ERR value is out of range, must be positive\r\n",
    );
    c.assert(
        &["spop", "s", "-1"],
        "-ERR value is out of range, must be positive\r\n",
    );
    c.assert(&["srandmember", "nos"], "$-1\r\n");
    c.assert(&["srandmember", "nos", "3"], "*0\r\n");
    c.assert(
        &["srandmember", "nos", "x"],
        "-ERR value is not an integer or out of range\r\n",
    );
    c.assert(&["sadd", "r", "one"], ":1\r\n");
    c.assert(&["srandmember", "r"], "$3\r\none\r\n");
    c.assert(&["srandmember", "r", "3"], "*1\r\n$3\r\none\r\n");
    c.assert(
        &["srandmember", "r", "-3"],
        "*3\r\n$3\r\none\r\n$3\r\none\r\n$3\r\none\r\n",
    );
    c.assert(&["sadd", "m", "a"], ":1\r\n");
    c.assert(&["smove", "m", "m", "a"], ":1\r\n");
    c.assert(&["smove", "m", "m", "zz"], ":0\r\n");
    c.assert(&["smove", "m", "n", "a"], ":1\r\n");
    c.assert(&["smismember", "n", "a"], "*1\r\n:1\r\n");
    c.assert(&["smove", "nos", "n", "a"], ":0\r\n");
    c.assert(&["scard", "m"], ":0\r\n");
}

#[test]
fn wrong_types() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SET", "str", "x"], "+OK\r\n");
    c.assert(&["sadd", "str", "a"], WRONGTYPE);
    c.assert(&["sinter", "nos", "str"], WRONGTYPE);
    c.assert(&["sdiff", "nos", "str"], WRONGTYPE);
    c.assert(&["sunion", "a", "str"], WRONGTYPE);
    c.assert(&["smove", "str", "nos", "a"], WRONGTYPE);
    c.assert(&["sadd", "s", "a"], ":1\r\n");
    c.assert(&["smove", "s", "str", "a"], WRONGTYPE);
    c.assert(&["sismember", "s", "a"], ":1\r\n");
}

#[test]
fn sscan_small_sets_answer_at_once() {
    let s = start();
    let mut c = s.client();
    c.assert(&["sadd", "s", "a"], ":1\r\n");
    c.assert(&["sscan", "s", "0"], "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n");
    c.assert(
        &["sscan", "s", "0", "count", "5", "match", "*"],
        "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n",
    );
    c.assert(&["sscan", "s", "x"], "-ERR invalid cursor\r\n");
    c.assert(&["sscan", "s", "0", "count", "0"], "-ERR syntax error\r\n");
    c.assert(
        &["sscan", "s", "0", "count", "x"],
        "-ERR value is not an integer or out of range\r\n",
    );
    c.assert(&["sscan", "s", "0", "match"], "-ERR syntax error\r\n");
    c.assert(&["sscan", "s", "0", "foo", "bar"], "-ERR syntax error\r\n");
    c.assert(&["sscan", "nos", "0"], "*2\r\n$1\r\n0\r\n*0\r\n");
}

#[test]
fn sscan_pages_a_large_set_with_a_stable_cursor() {
    let s = start();
    let mut c = s.client();
    let members: Vec<String> = (0..1000).map(|i| format!("m{i}")).collect();
    let mut cmd = vec!["SADD", "big"];
    cmd.extend(members.iter().map(String::as_str));
    c.assert(&cmd, ":1000\r\n");
    let mut seen = std::collections::HashSet::new();
    let mut cursor = "0".to_string();
    let mut pages = 0;
    loop {
        let reply = String::from_utf8(c.cmd(&["SSCAN", "big", &cursor, "COUNT", "50"])).unwrap();
        let lines: Vec<&str> = reply.split("\r\n").collect();
        cursor = lines[2].to_string();
        for m in lines[4..].iter().skip(1).step_by(2) {
            if !m.is_empty() {
                assert!(seen.insert(m.to_string()), "{m} returned twice");
            }
        }
        pages += 1;
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 1000);
    assert!(pages > 10, "a large set must be paged, got {pages} pages");
}

#[test]
fn spop_and_srandmember_pick_real_members() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SADD", "s", "a", "b", "c", "d"], ":4\r\n");
    let popped = c.cmd(&["SPOP", "s", "3"]);
    assert!(popped.starts_with(b"*3\r\n"));
    c.assert(&["SCARD", "s"], ":1\r\n");
    let rand = c.cmd(&["SRANDMEMBER", "s", "-5"]);
    assert!(rand.starts_with(b"*5\r\n"));
    let all = String::from_utf8(c.cmd(&["SMEMBERS", "s"])).unwrap();
    c.assert(&["SRANDMEMBER", "s", "5"], &all);
}

#[test]
fn random_picks_on_a_large_set_are_distinct_present_members() {
    let s = start();
    let mut c = s.client();
    let mut sadd = vec!["SADD".to_string(), "s".to_string()];
    sadd.extend((0..1000).map(|i| format!("m{i}")));
    let sadd: Vec<&str> = sadd.iter().map(String::as_str).collect();
    c.assert(&sadd, ":1000\r\n");

    // SRANDMEMBER with a positive count: distinct members; negative: any 2000, repeats allowed.
    let picked = bulks(&c.cmd(&["SRANDMEMBER", "s", "50"]));
    assert_eq!(picked.iter().collect::<HashSet<_>>().len(), 50);
    let picked = bulks(&c.cmd(&["SRANDMEMBER", "s", "-2000"]));
    assert_eq!(picked.len(), 2000);
    for m in picked.iter().take(20) {
        c.assert(
            &["SISMEMBER", "s", std::str::from_utf8(m).unwrap()],
            ":1\r\n",
        );
    }

    // SPOP n: n distinct members, each gone afterwards.
    let popped = bulks(&c.cmd(&["SPOP", "s", "300"]));
    assert_eq!(popped.iter().collect::<HashSet<_>>().len(), 300);
    assert!(popped.iter().all(|m| m.starts_with(b"m")));
    c.assert(&["SCARD", "s"], ":700\r\n");
    for m in &popped {
        c.assert(
            &["SISMEMBER", "s", std::str::from_utf8(m).unwrap()],
            ":0\r\n",
        );
    }
    let one = c.cmd(&["SPOP", "s"]);
    let one = bulks(format!("*1\r\n{}", String::from_utf8_lossy(&one)).as_bytes());
    c.assert(
        &["SISMEMBER", "s", std::str::from_utf8(&one[0]).unwrap()],
        ":0\r\n",
    );
    c.assert(&["SPOP", "s", "0"], "*0\r\n");

    // What is left is exactly the members never popped, and popping it all empties the key.
    let rest = bulks(&c.cmd(&["SPOP", "s", "1000"]));
    assert_eq!(rest.len(), 699);
    let all: HashSet<Vec<u8>> = popped.into_iter().chain(one).chain(rest).collect();
    assert_eq!(all.len(), 1000);
    c.assert(&["EXISTS", "s"], ":0\r\n");
}
