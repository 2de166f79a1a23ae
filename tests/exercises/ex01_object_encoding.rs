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
    c.assert(
        &["OBJECT"],
        "-ERR wrong number of arguments for 'object' command\r\n",
    );
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

#[test]
fn ex01_thresholds_follow_config_set() {
    let s = start();
    let mut c = s.client();
    c.assert(
        &["CONFIG", "SET", "hash-max-listpack-entries", "2"],
        "+OK\r\n",
    );
    c.assert(&["HSET", "h", "a", "1", "b", "2"], ":2\r\n");
    c.assert(&["OBJECT", "ENCODING", "h"], "$8\r\nlistpack\r\n");
    c.assert(&["HSET", "h", "c", "3"], ":1\r\n");
    c.assert(&["OBJECT", "ENCODING", "h"], "$9\r\nhashtable\r\n");
    // The old name of the setting is the same setting.
    c.assert(
        &["CONFIG", "SET", "zset-max-ziplist-entries", "0"],
        "+OK\r\n",
    );
    c.assert(&["ZADD", "z", "1", "a"], ":1\r\n");
    c.assert(&["OBJECT", "ENCODING", "z"], "$8\r\nskiplist\r\n");
    c.assert(&["CONFIG", "SET", "set-max-intset-entries", "1"], "+OK\r\n");
    c.assert(&["SADD", "s", "1", "2"], ":2\r\n");
    c.assert(&["OBJECT", "ENCODING", "s"], "$9\r\nhashtable\r\n");
}

#[test]
fn ex01_further_refcount_idletime_freq_and_help() {
    let s = start();
    let mut c = s.client();
    // Redis shares one object for each integer below 10000, with the largest count there is.
    c.assert(&["SET", "k", "123"], "+OK\r\n");
    c.assert(&["OBJECT", "REFCOUNT", "k"], ":2147483647\r\n");
    c.assert(&["SET", "k", "10000"], "+OK\r\n");
    c.assert(&["OBJECT", "REFCOUNT", "k"], ":1\r\n");
    c.assert(&["RPUSH", "l", "a"], ":1\r\n");
    c.assert(&["OBJECT", "refcount", "l"], ":1\r\n");
    c.assert(&["OBJECT", "IDLETIME", "l"], ":0\r\n");
    c.assert(
        &["OBJECT", "FREQ", "l"],
        "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when \
         switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n",
    );
    for sub in ["REFCOUNT", "IDLETIME", "FREQ"] {
        c.assert(&["OBJECT", sub, "nokey"], "$-1\r\n");
    }
    c.assert(
        &["OBJECT", "FREQ"],
        "-ERR wrong number of arguments for 'object|freq' command\r\n",
    );
    c.assert(
        &["OBJECT", "HELP", "x"],
        "-ERR wrong number of arguments for 'object|help' command\r\n",
    );
    let help = c.cmd(&["OBJECT", "HELP"]);
    assert!(
        help.starts_with(
            b"*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+ENCODING <key>\r\n"
        ),
        "{}",
        String::from_utf8_lossy(&help)
    );
    assert!(help.ends_with(b"+HELP\r\n+    Prints this help.\r\n"));
}
