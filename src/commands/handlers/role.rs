//! `ROLE`: what this server is in replication, and how far along, in one short reply.
//!
//! Go original: none (go-redis had no replication). Explained in: book chapters "Replication"
//! and "Exercises" (ex12).

use crate::commands::registry::{NO_KEYS, flags::*};
use crate::commands::{ClientContext, Registry, Shared};
use crate::protocol::resp::Value;

/// Registers `ROLE`.
pub fn register(r: &mut Registry) {
    r.client("role", role, 1, NOSCRIPT | LOADING | STALE | FAST, NO_KEYS);
}

// ANCHOR: role
/// `ROLE`: `master offset [[ip port offset] ...]`, or `slave host port state offset`, the
/// offset -1 until the link has synced.
pub fn role(shared: &Shared, _client: &mut ClientContext, _args: &[Vec<u8>]) -> Value {
    match shared.role.master() {
        None => Value::Array(vec![
            Value::bulk("master"),
            Value::Integer(shared.backlog.offset() as i64),
            // The replicas that finished their sync, each as strings: address, port, offset.
            Value::Array(
                shared
                    .replicas
                    .all()
                    .iter()
                    .filter(|r| r.state == "online")
                    .map(|r| {
                        Value::Array(vec![
                            Value::bulk(&r.ip),
                            Value::bulk(r.port.to_string()),
                            Value::bulk(r.ack_offset.to_string()),
                        ])
                    })
                    .collect(),
            ),
        ]),
        Some((host, port)) => {
            let link = shared.link.get();
            let offset = if link.state == "connected" {
                link.offset as i64
            } else {
                -1
            };
            Value::Array(vec![
                Value::bulk("slave"),
                Value::bulk(&host),
                Value::Integer(i64::from(port)),
                Value::bulk(link.state),
                Value::Integer(offset),
            ])
        }
    }
}
// ANCHOR_END: role
