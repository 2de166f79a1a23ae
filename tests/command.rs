//! `COMMAND DOCS`, which interactive `redis-cli` reads for its help and argument hints: the
//! reply's shape byte for byte as Redis 7.0.15 answers it, filled from this project's table.
//!
//! Explained in: book chapter "Talking to real clients". The argument bytes were read off a
//! real `redis-server` 7.0.15; the summaries are the table's own.

mod common;

use common::*;
use rust_redis::commands::docs::table;

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes).into_owned()
}

fn summary(name: &str) -> String {
    bulk(table().get(name).unwrap().summary)
}

#[test]
fn command_docs_answer_names_and_full_subcommand_names() {
    let s = start();
    let mut c = s.client();
    // Unknown names are left out; a subcommand is found by its full name, in any case.
    c.assert(
        &["COMMAND", "DOCS", "nosuch", "CLIENT|ID", "client|nosuch", "get|x"],
        &format!(
            "*2\r\n$9\r\nclient|id\r\n*6\r\n$7\r\nsummary\r\n{}$5\r\nsince\r\n$5\r\n5.0.0\r\n$5\r\ngroup\r\n\
             $10\r\nconnection\r\n",
            summary("client|id")
        ),
    );
    c.assert(&["COMMAND", "DOCS", "nosuch"], "*0\r\n");
    // A command with no arguments has no `arguments` field.
    c.assert(
        &["COMMAND", "DOCS", "multi"],
        &format!(
            "*2\r\n$5\r\nmulti\r\n*6\r\n$7\r\nsummary\r\n{}$5\r\nsince\r\n$5\r\n1.2.0\r\n$5\r\ngroup\r\n\
             $12\r\ntransactions\r\n",
            summary("multi")
        ),
    );
}

#[test]
fn command_docs_give_the_argument_tree_redis_cli_hints_from() {
    let s = start();
    let mut c = s.client();
    c.cmd(&["HELLO", "3"]);
    // Tokens, optional and repeated arguments, choices: what `SET`'s hint is made of. Redis's
    // own bytes, but for the names of the two choices, which a syntax line does not hold.
    let set = text(c.cmd(&["COMMAND", "DOCS", "set"]));
    for part in [
        "%2\r\n$4\r\nname\r\n$5\r\nvalue\r\n$4\r\ntype\r\n$6\r\nstring\r\n",
        "$4\r\ntype\r\n$5\r\noneof\r\n$5\r\nflags\r\n~1\r\n+optional\r\n$9\r\narguments\r\n*2\r\n\
         %3\r\n$4\r\nname\r\n$2\r\nnx\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$2\r\nNX\r\n",
        "%4\r\n$4\r\nname\r\n$3\r\nget\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$3\r\nGET\r\n\
         $5\r\nflags\r\n~1\r\n+optional\r\n",
        "%3\r\n$4\r\nname\r\n$17\r\nunix-time-seconds\r\n$4\r\ntype\r\n$9\r\nunix-time\r\n$5\r\ntoken\r\n\
         $4\r\nEXAT\r\n",
    ] {
        assert!(set.contains(part), "{part:?} not in {set}");
    }
    // A repeated keyword: `GET pattern [GET pattern ...]` (Redis adds a key spec index: the
    // pattern names keys, which the table does not say).
    let sort = text(c.cmd(&["COMMAND", "DOCS", "sort"]));
    assert!(
        sort.contains(
            "%4\r\n$4\r\nname\r\n$7\r\npattern\r\n$4\r\ntype\r\n$7\r\npattern\r\n$5\r\ntoken\r\n$3\r\nGET\r\n\
             $5\r\nflags\r\n~3\r\n+optional\r\n+multiple\r\n+multiple_token\r\n"
        ),
        "{sort}"
    );
    // A block with a token: `[LIMIT offset count]`, byte for byte as Redis names it.
    let zrange = text(c.cmd(&["COMMAND", "DOCS", "zrangebylex"]));
    assert!(
        zrange.contains(
            "%5\r\n$4\r\nname\r\n$12\r\noffset_count\r\n$4\r\ntype\r\n$5\r\nblock\r\n$5\r\ntoken\r\n$5\r\nLIMIT\r\n\
             $5\r\nflags\r\n~1\r\n+optional\r\n$9\r\narguments\r\n*2\r\n%2\r\n$4\r\nname\r\n$6\r\noffset\r\n\
             $4\r\ntype\r\n$7\r\ninteger\r\n%2\r\n$4\r\nname\r\n$5\r\ncount\r\n$4\r\ntype\r\n$7\r\ninteger\r\n"
        ),
        "{zrange}"
    );
}

#[test]
fn deprecated_commands_say_since_when_and_what_replaces_them() {
    let s = start();
    let mut c = s.client();
    let getset = text(c.cmd(&["COMMAND", "DOCS", "getset"]));
    assert!(
        getset.contains(
            "$9\r\ndoc_flags\r\n*1\r\n+deprecated\r\n$16\r\ndeprecated_since\r\n$5\r\n6.2.0\r\n\
             $11\r\nreplaced_by\r\n"
        ),
        "{getset}"
    );
    let debug = text(c.cmd(&["COMMAND", "DOCS", "debug"]));
    assert!(
        debug.contains("$9\r\ndoc_flags\r\n*1\r\n+syscmd\r\n"),
        "{debug}"
    );
}

#[test]
fn a_container_nests_its_subcommands_docs() {
    let s = start();
    let mut c = s.client();
    c.cmd(&["HELLO", "3"]);
    let config = text(c.cmd(&["COMMAND", "DOCS", "config"]));
    assert!(
        config.starts_with(&format!(
            "%1\r\n$6\r\nconfig\r\n%4\r\n$7\r\nsummary\r\n{}$5\r\nsince\r\n$5\r\n2.0.0\r\n$5\r\ngroup\r\n\
             $6\r\nserver\r\n$11\r\nsubcommands\r\n%5\r\n",
            summary("config")
        )),
        "{config}"
    );
    assert!(
        config.contains("$10\r\nconfig|get\r\n%4\r\n$7\r\nsummary\r\n"),
        "{config}"
    );
}

#[test]
fn every_command_has_a_summary_a_version_and_a_group() {
    let s = start();
    let mut c = s.client();
    let docs = text(c.cmd(&["COMMAND", "DOCS"]));
    // What the server answers for a command the table does not describe.
    assert!(
        !docs.contains("$7\r\nsummary\r\n$0\r\n"),
        "a command has no entry"
    );
}
