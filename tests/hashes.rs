//! Hash commands over a real socket, with replies checked byte for byte against Redis 7.

mod common;

use common::*;

#[test]
fn set_get_delete() {
    let s = start();
    let mut c = s.client();
    c.assert(&["hset", "h", "f", "v"], ":1\r\n");
    c.assert(&["hset", "h", "f", "w", "g", "x"], ":1\r\n");
    c.assert(&["hget", "h", "f"], "$1\r\nw\r\n");
    c.assert(&["hget", "h", "zz"], "$-1\r\n");
    c.assert(&["hget", "nh", "f"], "$-1\r\n");
    c.assert(
        &["hmget", "h", "f", "zz", "g"],
        "*3\r\n$1\r\nw\r\n$-1\r\n$1\r\nx\r\n",
    );
    c.assert(&["hmset", "h", "a", "1"], "+OK\r\n");
    c.assert(&["hsetnx", "h", "a", "2"], ":0\r\n");
    c.assert(&["hsetnx", "h", "b", "2"], ":1\r\n");
    c.assert(&["hexists", "h", "a"], ":1\r\n");
    c.assert(&["hexists", "h", "zz"], ":0\r\n");
    c.assert(&["hlen", "h"], ":4\r\n");
    c.assert(&["hstrlen", "h", "f"], ":1\r\n");
    c.assert(&["hstrlen", "h", "zz"], ":0\r\n");
    c.assert(&["hdel", "h", "f", "g", "a", "zz"], ":3\r\n");
    c.assert(&["hlen", "h"], ":1\r\n");
    c.assert(&["hgetall", "h"], "*2\r\n$1\r\nb\r\n$1\r\n2\r\n");
    c.assert(&["hkeys", "h"], "*1\r\n$1\r\nb\r\n");
    c.assert(&["hvals", "h"], "*1\r\n$1\r\n2\r\n");
    c.assert(&["hdel", "h", "b"], ":1\r\n");
    c.assert(&["hlen", "h"], ":0\r\n");
    c.assert(&["hgetall", "h"], "*0\r\n");
    c.assert(&["hdel", "nh", "a"], ":0\r\n");
    c.assert(
        &["hset", "h", "f"],
        "-ERR wrong number of arguments for 'hset' command\r\n",
    );
    c.assert(
        &["hset", "h", "f", "1", "g"],
        "-ERR wrong number of arguments for 'hset' command\r\n",
    );
    c.assert(
        &["hmset", "h", "f", "1", "g"],
        "-ERR wrong number of arguments for 'hmset' command\r\n",
    );
}

#[test]
fn increments() {
    let s = start();
    let mut c = s.client();
    c.assert(&["hincrby", "h", "n", "5"], ":5\r\n");
    c.assert(&["hincrby", "h", "n", "-8"], ":-3\r\n");
    c.assert(
        &["hincrby", "h", "n", "x"],
        "-ERR value is not an integer or out of range\r\n",
    );
    c.assert(&["hset", "h", "s", "abc", "fl", "10.50"], ":2\r\n");
    c.assert(
        &["hincrby", "h", "s", "1"],
        "-ERR hash value is not an integer\r\n",
    );
    c.assert(
        &["hincrby", "h", "n", "9223372036854775807"],
        ":9223372036854775804\r\n",
    );
    c.assert(&["hincrby", "h", "n", "-9223372036854775808"], ":-4\r\n");
    c.assert(&["hincrbyfloat", "h", "fl", "0.1"], "$4\r\n10.6\r\n");
    c.assert(&["hincrbyfloat", "h", "fl", "-5"], "$3\r\n5.6\r\n");
    c.assert(
        &["hincrbyfloat", "h", "s", "1"],
        "-ERR hash value is not a float\r\n",
    );
    c.assert(
        &["hincrbyfloat", "h", "fl", "x"],
        "-ERR value is not a valid float\r\n",
    );
    c.assert(
        &["hincrbyfloat", "h", "fl", "inf"],
        "-ERR value is NaN or Infinity\r\n",
    );
    c.assert(&["hincrbyfloat", "nh", "f", "2.5"], "$3\r\n2.5\r\n");
    c.assert(&["hget", "nh", "f"], "$3\r\n2.5\r\n");
    c.assert(
        &["hincrby", "nh2", "f", "x"],
        "-ERR value is not an integer or out of range\r\n",
    );
    c.assert(&["hlen", "nh2"], ":0\r\n");
}

#[test]
fn random_fields_and_scan() {
    let s = start();
    let mut c = s.client();
    c.assert(&["hset", "h", "f", "v"], ":1\r\n");
    c.assert(&["hrandfield", "h"], "$1\r\nf\r\n");
    c.assert(
        &["hrandfield", "h", "1", "withvalues"],
        "*2\r\n$1\r\nf\r\n$1\r\nv\r\n",
    );
    c.assert(
        &["hrandfield", "h", "-2", "withvalues"],
        "*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\nf\r\n$1\r\nv\r\n",
    );
    c.assert(&["hrandfield", "h", "5"], "*1\r\n$1\r\nf\r\n");
    c.assert(
        &["hrandfield", "h", "x"],
        "-ERR value is not an integer or out of range\r\n",
    );
    c.assert(&["hrandfield", "h", "1", "foo"], "-ERR syntax error\r\n");
    c.assert(&["hrandfield", "nh"], "$-1\r\n");
    c.assert(&["hrandfield", "nh", "1"], "*0\r\n");
    c.assert(
        &["hscan", "h", "0"],
        "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n",
    );
    c.assert(
        &["hscan", "h", "0", "match", "f", "count", "100"],
        "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n",
    );
    c.assert(&["hscan", "nh", "0"], "*2\r\n$1\r\n0\r\n*0\r\n");
}

#[test]
fn wrong_types() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SET", "str", "x"], "+OK\r\n");
    c.assert(&["hset", "str", "f", "v"], WRONGTYPE);
    c.assert(&["hget", "str", "f"], WRONGTYPE);
    c.assert(&["hgetall", "str"], WRONGTYPE);
    c.assert(&["hincrby", "str", "f", "1"], WRONGTYPE);
    c.assert(&["hlen", "str"], WRONGTYPE);
}

#[test]
fn hgetall_is_a_map_in_resp3_and_a_flat_array_in_resp2() {
    use rust_redis::protocol::resp::Value;
    let map = Value::Map(vec![(Value::bulk("f"), Value::bulk("v"))]);
    assert_eq!(map.to_resp2(), b"*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
    assert_eq!(map.to_resp3(), b"%1\r\n$1\r\nf\r\n$1\r\nv\r\n");
}

#[test]
fn hscan_pages_a_large_hash() {
    let s = start();
    let mut c = s.client();
    for i in 0..300 {
        c.assert(
            &["HSET", "big", &format!("f{i}"), &format!("v{i}")],
            ":1\r\n",
        );
    }
    let mut fields = std::collections::HashSet::new();
    let mut cursor = "0".to_string();
    loop {
        let reply = String::from_utf8(c.cmd(&["HSCAN", "big", &cursor, "COUNT", "25"])).unwrap();
        let lines: Vec<&str> = reply.split("\r\n").collect();
        cursor = lines[2].to_string();
        let words: Vec<&str> = lines[4..].iter().skip(1).step_by(2).copied().collect();
        for pair in words.chunks(2) {
            if let [f, v] = pair {
                assert_eq!(&f[1..], &v[1..], "field and value travel together");
                assert!(fields.insert(f.to_string()));
            }
        }
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(fields.len(), 300);
}
