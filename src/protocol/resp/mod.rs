//! RESP, the Redis serialization protocol: values, a streaming reader and a buffered writer.
//!
//! Go original: `internal/protocol/resp`. Explained in: book chapter 2.

mod reader;
mod value;
mod writer;

pub use reader::{Limits, ProtocolError, Reader, split_args};
pub use value::{Bulks, Protocol, Value, format_double, push_int};
pub use writer::{Writer, encode_command};
