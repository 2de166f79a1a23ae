//! The Pub/Sub commands: `SUBSCRIBE`, `UNSUBSCRIBE`, `PSUBSCRIBE`, `PUNSUBSCRIBE`, `PUBLISH`,
//! their sharded forms `SSUBSCRIBE`, `SUNSUBSCRIBE`, `SPUBLISH`, `PUBSUB`, and `MONITOR`.
//!
//! Go original: none (planned in go-redis). Explained in: book chapter "Pub/Sub".
//!
//! The handlers are thin: the work, and the reasoning about threads, lives in
//! [`crate::commands::pubsub`]. None of them touches the store, so none takes its lock: a
//! `PUBLISH` never waits for a slow write, and a write never waits for a big fan-out.

use crate::commands::registry::{ALL_KEYS, KEY1, NO_KEYS, Subcommand, flags::*};
use crate::commands::{Change, ClientContext, Registry, Shared};
use crate::protocol::resp::Value;

// ANCHOR: register
/// The `PUBSUB` subcommands this server answers, with Redis's arities.
const PUBSUB_SUBCOMMANDS: &[Subcommand] = &[
    Subcommand::new("pubsub|channels", -2),
    Subcommand::new("pubsub|help", 2),
    Subcommand::new("pubsub|numpat", 2),
    Subcommand::new("pubsub|numsub", -2),
    Subcommand::new("pubsub|shardchannels", -2),
    Subcommand::new("pubsub|shardnumsub", -2),
];

/// Registers this family's commands. The (un)subscribe commands carry `PUBSUB_OK`: they are
/// what a RESP2 client may still send once subscribed.
pub fn register(r: &mut Registry) {
    // Go parity: go-redis has no Pub/Sub yet; these follow Redis 7. The sharded variants come
    // from Redis Cluster; on one server they are channels of a namespace of their own. Redis
    // declares their channels where keys would be (a cluster routes them by slot), flagged
    // `not_key`, so `COMMAND INFO` shows key positions for them and `COMMAND GETKEYS` none.
    let sub = PUBSUB | NOSCRIPT | LOADING | STALE | PUBSUB_OK;
    r.client("subscribe", subscribe, -2, sub, NO_KEYS);
    r.client("unsubscribe", unsubscribe, -1, sub, NO_KEYS);
    r.client("psubscribe", psubscribe, -2, sub, NO_KEYS);
    r.client("punsubscribe", punsubscribe, -1, sub, NO_KEYS);
    r.client("ssubscribe", ssubscribe, -2, sub, ALL_KEYS);
    r.client("sunsubscribe", sunsubscribe, -1, sub, ALL_KEYS);
    let publishing = PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE;
    r.client("publish", publish, 3, publishing, NO_KEYS);
    r.client("spublish", spublish, 3, publishing, KEY1);
    r.client("pubsub", pubsub, -2, PUBSUB | LOADING | STALE, NO_KEYS);
    r.subcommands("pubsub", PUBSUB_SUBCOMMANDS);
    r.client(
        "monitor",
        monitor,
        1,
        ADMIN | NOSCRIPT | LOADING | STALE,
        NO_KEYS,
    );
}
// ANCHOR_END: register

// ANCHOR: subscribe
/// `SUBSCRIBE channel [channel ...]`: one `subscribe` confirmation per channel, each with the
/// client's number of subscriptions after it. Push frames in RESP3.
pub fn subscribe(shared: &Shared, client: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    shared.pubsub.subscribe(client, args)
}
// ANCHOR_END: subscribe

/// `UNSUBSCRIBE [channel ...]`: from the channels given, or from every channel; with none to
/// leave, one `unsubscribe` frame with a nil channel.
pub fn unsubscribe(shared: &Shared, client: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    shared.pubsub.unsubscribe(client, args)
}

/// `PSUBSCRIBE pattern [pattern ...]`: Redis glob patterns (`news.*`, `h?llo`, `[ab]*`).
pub fn psubscribe(shared: &Shared, client: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    shared.pubsub.psubscribe(client, args)
}

/// `PUNSUBSCRIBE [pattern ...]`: like `UNSUBSCRIBE`, for patterns.
pub fn punsubscribe(shared: &Shared, client: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    shared.pubsub.punsubscribe(client, args)
}

/// `SSUBSCRIBE shardchannel [shardchannel ...]`: one `ssubscribe` confirmation per shard
/// channel, each with the client's number of shard subscriptions after it.
pub fn ssubscribe(shared: &Shared, client: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    shared.pubsub.ssubscribe(client, args)
}

/// `SUNSUBSCRIBE [shardchannel ...]`: like `UNSUBSCRIBE`, for shard channels.
pub fn sunsubscribe(shared: &Shared, client: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    shared.pubsub.sunsubscribe(client, args)
}

/// Sends `PUBLISH` or `SPUBLISH` (`effect`) to the replicas, as Redis propagates it: to the
/// replication stream only, never to the AOF (a message is not data).
fn propagate(shared: &Shared, client: &ClientContext, effect: Vec<Vec<u8>>) {
    shared.backlog.append(
        &[Change {
            db: client.db,
            effect,
        }],
        false,
    );
}

// ANCHOR: publish
/// `PUBLISH channel message`: the number of clients that received it (a client subscribed to
/// the channel and to a matching pattern counts twice, as it gets two frames).
pub fn publish(shared: &Shared, client: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    let [channel, message] = args else {
        return Value::wrong_arity("publish");
    };
    // Replicas publish it to their own subscribers.
    propagate(
        shared,
        client,
        vec![b"PUBLISH".to_vec(), channel.clone(), message.clone()],
    );
    Value::Integer(shared.pubsub.publish(channel, message) as i64)
}
// ANCHOR_END: publish

/// `SPUBLISH shardchannel message`: the number of clients subscribed to the shard channel that
/// received it.
pub fn spublish(shared: &Shared, client: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    let [channel, message] = args else {
        return Value::wrong_arity("spublish");
    };
    propagate(
        shared,
        client,
        vec![b"SPUBLISH".to_vec(), channel.clone(), message.clone()],
    );
    Value::Integer(shared.pubsub.spublish(channel, message) as i64)
}

/// The text of `PUBSUB HELP`, line for line as Redis 7 prints it.
const HELP: &[&str] = &[
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
];

/// `PUBSUB CHANNELS [pattern] | NUMSUB [channel ...] | NUMPAT | SHARDCHANNELS [pattern] |
/// SHARDNUMSUB [shardchannel ...] | HELP`, with Redis's replies and error texts.
pub fn pubsub(shared: &Shared, _client: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    let sub = args[0].to_ascii_uppercase();
    let rest = &args[1..];
    match (sub.as_slice(), rest.len()) {
        (b"CHANNELS", 0 | 1) => {
            Value::bulk_array(shared.pubsub.channels(rest.first().map(Vec::as_slice)))
        }
        (b"NUMSUB", _) => counts(rest, shared.pubsub.numsub(rest)),
        (b"NUMPAT", 0) => Value::Integer(shared.pubsub.numpat() as i64),
        (b"SHARDCHANNELS", 0 | 1) => Value::bulk_array(
            shared
                .pubsub
                .shard_channels(rest.first().map(Vec::as_slice)),
        ),
        (b"SHARDNUMSUB", _) => counts(rest, shared.pubsub.shard_numsub(rest)),
        (b"HELP", 0) => Value::Array(HELP.iter().map(|&l| Value::simple(l)).collect()),
        // Subcommands with a fixed arity get Redis's arity error for `pubsub|name`.
        (b"NUMPAT" | b"HELP", _) => {
            Value::wrong_arity(&format!("pubsub|{}", String::from_utf8_lossy(&args[0])))
        }
        (b"CHANNELS" | b"SHARDCHANNELS", _) => Value::error_owned(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
            String::from_utf8_lossy(&args[0])
        )),
        _ => Value::error_owned(format!(
            "ERR unknown subcommand '{}'. Try PUBSUB HELP.",
            String::from_utf8_lossy(&args[0])
        )),
    }
}

/// `NUMSUB`'s and `SHARDNUMSUB`'s reply: each channel, then its count, in one flat array (in
/// RESP3 too, as Redis 7.0 answers).
fn counts(channels: &[Vec<u8>], counts: Vec<usize>) -> Value {
    Value::Array(
        channels
            .iter()
            .zip(counts)
            .flat_map(|(c, n)| [Value::bulk(c), Value::Integer(n as i64)])
            .collect(),
    )
}

// ANCHOR: monitor
/// `MONITOR`: `+OK`, then a line for every command any client runs, until the connection
/// closes (or `RESET`).
///
/// One difference from Redis 7.0, on purpose: a monitoring client may still run commands
/// (Redis treats it as a replica and refuses keyspace commands).
pub fn monitor(shared: &Shared, client: &mut ClientContext, _args: &[Vec<u8>]) -> Value {
    shared.pubsub.monitor(client)
}
// ANCHOR_END: monitor
