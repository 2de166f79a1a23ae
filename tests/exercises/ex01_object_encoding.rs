//! Exercise 01: `OBJECT ENCODING key` names the representation Redis 7.0 would use.

use crate::common::*;

#[test]
fn ex01_strings_are_int_embstr_or_raw() {
    let s = start();
    let mut c = s.client();
    let long44 = "x".repeat(44);
    let long45 = "x".repeat(45);
    for (value, encoding) in [
        ("123", "int"),
        ("-9223372036854775808", "int"),
        ("9223372036854775808", "embstr"),
        ("0123", "embstr"),
        ("+1", "embstr"),
        ("hello", "embstr"),
        (long44.as_str(), "embstr"),
        (long45.as_str(), "raw"),
    ] {
        c.assert(&["SET", "k", value], "+OK\r\n");
        c.assert(&["OBJECT", "ENCODING", "k"], &bulk(encoding));
    }
}

#[test]
fn ex01_collections_follow_the_default_thresholds() {
    let s = start();
    let mut c = s.client();
    c.assert(&["RPUSH", "list", "a", "b"], ":2\r\n");
    c.assert(&["OBJECT", "ENCODING", "list"], "$9\r\nquicklist\r\n");

    let ints: Vec<String> = (0..512).map(|i| i.to_string()).collect();
    let mut sadd = vec!["SADD", "ints"];
    sadd.extend(ints.iter().map(String::as_str));
    c.assert(&sadd, ":512\r\n");
    c.assert(&["OBJECT", "ENCODING", "ints"], "$6\r\nintset\r\n");
    c.assert(&["SADD", "ints", "512"], ":1\r\n");
    c.assert(&["OBJECT", "ENCODING", "ints"], "$9\r\nhashtable\r\n");
    c.assert(&["SADD", "words", "a"], ":1\r\n");
    c.assert(&["OBJECT", "ENCODING", "words"], "$9\r\nhashtable\r\n");

    let v64 = "v".repeat(64);
    let f65 = "f".repeat(65);
    c.assert(&["HSET", "h", "f", &v64], ":1\r\n");
    c.assert(&["OBJECT", "ENCODING", "h"], "$8\r\nlistpack\r\n");
    c.assert(&["HSET", "h", &f65, "v"], ":1\r\n");
    c.assert(&["OBJECT", "ENCODING", "h"], "$9\r\nhashtable\r\n");

    let fields: Vec<String> = (0..513).map(|i| format!("f{i}")).collect();
    let mut hset = vec!["HSET", "big"];
    for f in &fields[..512] {
        hset.extend([f.as_str(), "v"]);
    }
    c.assert(&hset, ":512\r\n");
    c.assert(&["OBJECT", "ENCODING", "big"], "$8\r\nlistpack\r\n");
    c.assert(&["HSET", "big", &fields[512], "v"], ":1\r\n");
    c.assert(&["OBJECT", "ENCODING", "big"], "$9\r\nhashtable\r\n");

    let mut zadd = vec!["ZADD", "z"];
    for f in &fields[..128] {
        zadd.extend(["1", f.as_str()]);
    }
    c.assert(&zadd, ":128\r\n");
    c.assert(&["OBJECT", "ENCODING", "z"], "$8\r\nlistpack\r\n");
    c.assert(&["ZADD", "z", "1", "one-more"], ":1\r\n");
    c.assert(&["OBJECT", "ENCODING", "z"], "$8\r\nskiplist\r\n");
    c.assert(&["ZADD", "z2", "1", &f65], ":1\r\n");
    c.assert(&["OBJECT", "ENCODING", "z2"], "$8\r\nskiplist\r\n");
}

#[test]
fn ex01_missing_keys_and_bad_calls() {
    let s = start();
    let mut c = s.client();
    c.assert(&["OBJECT", "ENCODING", "nokey"], "$-1\r\n");
    c.assert(&["SET", "k", "v"], "+OK\r\n");
    c.assert(
        &["OBJECT", "FOO", "k"],
        "-ERR unknown subcommand 'FOO'. Try OBJECT HELP.\r\n",
    );
    c.assert(&["OBJECT"], "-ERR wrong number of arguments for 'object' command\r\n");
    c.assert(
        &["OBJECT", "ENCODING"],
        "-ERR wrong number of arguments for 'object|encoding' command\r\n",
    );
    c.assert(
        &["object", "encoding", "k", "extra"],
        "-ERR wrong number of arguments for 'object|encoding' command\r\n",
    );
    c.assert(&["object", "encoding", "k"], "$6\r\nembstr\r\n");
}
