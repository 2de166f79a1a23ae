//! RESP, the Redis serialization protocol: values, a streaming reader and a buffered writer.
//!
//! Go original: `internal/protocol/resp`. Explained in: book chapter 2.
//!
//! | file | what |
//! |---|---|
//! | `value.rs` | [`Value`]: every reply a handler can build, and its RESP2/RESP3 encoding |
//! | `reader.rs` | [`Reader`] and its [`Limits`]: requests, multibulk and inline, read the way Redis reads them |
//! | `reply.rs` | [`Reader::read_value`]: any RESP2 or RESP3 reply, parsed with a depth-bounded stack |
//! | `split_args.rs` | [`split_args()`]: Redis's quoting rules for inline commands and config lines |
//! | `error.rs` | [`ProtocolError`]: what both readers report, with Redis's error texts |
//! | `writer.rs` | [`Writer`]: encoded replies buffered and written in one go; [`encode_command`] |

mod error;
mod reader;
mod reply;
mod split_args;
#[cfg(test)]
mod test_peers;
mod value;
mod writer;

pub use error::ProtocolError;
pub use reader::{Limits, Reader};
pub use split_args::split_args;
pub use value::{Bulks, Protocol, Value, format_double, push_int};
pub use writer::{Writer, encode_command};
