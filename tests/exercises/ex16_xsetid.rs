//! Exercise 16: `XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]`.

use crate::common::*;

/// The value of `field` in `XINFO STREAM key` (RESP2: a flat array of names and values), as the
/// reply bytes of that value.
fn xinfo(c: &mut Client, key: &str, field: &str) -> String {
    let reply = String::from_utf8_lossy(&c.cmd(&["XINFO", "STREAM", key])).into_owned();
    let lines: Vec<&str> = reply.split("\r\n").collect();
    let at = lines
        .iter()
        .position(|l| *l == field)
        .unwrap_or_else(|| panic!("no {field} in {reply:?}"));
    // `$len`, name, then the value: `:n`, or `$len` and the text.
    match lines[at + 1] {
        v if v.starts_with(':') => v.to_string(),
        _ => lines[at + 2].to_string(),
    }
}

#[test]
fn ex16_moves_the_last_id_forward_and_xadd_follows() {
    let s = start();
    let mut c = s.client();
    c.assert(&["XADD", "s", "1-1", "f", "v"], &bulk("1-1"));
    c.assert(&["XSETID", "s", "2-0"], OK);
    c.assert(
        &["XADD", "s", "2-0", "f", "v"],
        "-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n",
    );
    c.assert(&["XADD", "s", "2-*", "f", "v"], &bulk("2-1"));
    // A missing sequence number is 0.
    c.assert(&["XSETID", "s", "7"], OK);
    assert_eq!(xinfo(&mut c, "s", "last-generated-id"), "7-0");
    c.assert(&["XLEN", "s"], ":2\r\n");
}

#[test]
fn ex16_never_below_the_top_entry() {
    let s = start();
    let mut c = s.client();
    c.assert(&["XADD", "s", "5-1", "f", "v"], &bulk("5-1"));
    c.assert(&["XADD", "s", "5-2", "f", "v"], &bulk("5-2"));
    c.assert(
        &["XSETID", "s", "5-1"],
        "-ERR The ID specified in XSETID is smaller than the target stream top item\r\n",
    );
    // Once the top entry is deleted, the last ID may go back to the new top: 5-2 is free again.
    c.assert(&["XDEL", "s", "5-2"], ":1\r\n");
    c.assert(&["XSETID", "s", "5-1"], OK);
    c.assert(&["XADD", "s", "5-2", "a", "b"], &bulk("5-2"));
    // An empty stream may go anywhere.
    c.assert(&["XDEL", "s", "5-1", "5-2"], ":2\r\n");
    c.assert(&["XSETID", "s", "1-0"], OK);
    assert_eq!(xinfo(&mut c, "s", "last-generated-id"), "1-0");
}

#[test]
fn ex16_entries_added_and_max_deleted_id() {
    let s = start();
    let mut c = s.client();
    c.assert(&["XADD", "s", "1-1", "f", "v"], &bulk("1-1"));
    c.assert(&["XADD", "s", "1-2", "f", "v"], &bulk("1-2"));
    c.assert(
        &["XSETID", "s", "9-0", "ENTRIESADDED", "1"],
        "-ERR The entries_added specified in XSETID is smaller than the target stream length\r\n",
    );
    c.assert(
        &[
            "XSETID",
            "s",
            "9-0",
            "ENTRIESADDED",
            "10",
            "MAXDELETEDID",
            "9-1",
        ],
        "-ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id\r\n",
    );
    // A refused call changes nothing.
    assert_eq!(xinfo(&mut c, "s", "last-generated-id"), "1-2");
    c.assert(
        &[
            "XSETID",
            "s",
            "9-0",
            "entriesadded",
            "10",
            "maxdeletedid",
            "5-0",
        ],
        OK,
    );
    assert_eq!(xinfo(&mut c, "s", "last-generated-id"), "9-0");
    assert_eq!(xinfo(&mut c, "s", "entries-added"), ":10");
    assert_eq!(xinfo(&mut c, "s", "max-deleted-entry-id"), "5-0");
}

#[test]
fn ex16_errors() {
    let s = start();
    let mut c = s.client();
    make_list(&s, "l");
    c.assert(&["XSETID", "nokey", "5-0"], "-ERR no such key\r\n");
    c.assert(&["XSETID", "l", "1-0"], WRONGTYPE);
    c.assert(
        &["XSETID", "s"],
        "-ERR wrong number of arguments for 'xsetid' command\r\n",
    );
    c.assert(&["XADD", "s", "1-1", "f", "v"], &bulk("1-1"));
    c.assert(
        &["XSETID", "s", "abc"],
        "-ERR Invalid stream ID specified as stream command argument\r\n",
    );
    c.assert(
        &["XSETID", "s", "9-0", "ENTRIESADDED", "-1"],
        "-ERR entries_added must be positive\r\n",
    );
    c.assert(&["XSETID", "s", "9-0", "ENTRIESADDED", "x"], NOT_INT);
    c.assert(&["XSETID", "s", "9-0", "FOO", "1"], SYNTAX);
    c.assert(&["XSETID", "s", "9-0", "ENTRIESADDED"], SYNTAX);
    assert_eq!(xinfo(&mut c, "s", "last-generated-id"), "1-1");
}

#[test]
fn ex16_further_survives_a_restart() {
    let s = start_with(crate::aof_on);
    let mut c = s.client();
    c.assert(&["XADD", "s", "1-1", "f", "v"], &bulk("1-1"));
    c.assert(&["XSETID", "s", "8-0", "ENTRIESADDED", "5"], OK);
    let dir = s.stop();
    let s = start_in(dir, crate::aof_on);
    let mut c = s.client();
    assert_eq!(xinfo(&mut c, "s", "last-generated-id"), "8-0");
    assert_eq!(xinfo(&mut c, "s", "entries-added"), ":5");
}
