//! Store errors, and the refusal of an unknown command, as Redis's replies.
//!
//! Go original: the error strings of `internal/commands/handlers`. Explained in: book chapter 4
//! ("Errors are replies") and appendix B.
//!
//! The store reports what went wrong as a [`StoreError`] and knows nothing of RESP; this is the
//! one place each error becomes the exact text Redis sends, so a handler writes `Err(e) =>
//! e.into()` and the wording can never drift between commands.

use crate::engine::store::StoreError;
use crate::protocol::resp::Value;

/// Redis's refusal of `DEBUG` when `enable-debug-command` does not allow the caller.
pub const DEBUG_NOT_ALLOWED: &str = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \
     \"local\", you can run it from a local connection, otherwise you need to set this option in the \
     configuration file, and then restart the server.";

// ANCHOR: store_error_reply
impl From<StoreError> for Value {
    fn from(e: StoreError) -> Self {
        Value::error(match e {
            StoreError::WrongType => {
                "WRONGTYPE Operation against a key holding the wrong kind of value"
            }
            StoreError::NotInteger => "ERR value is not an integer or out of range",
            StoreError::NotFloat => "ERR value is not a valid float",
            StoreError::Overflow => "ERR increment or decrement would overflow",
            StoreError::NanOrInfinity => "ERR increment would produce NaN or Infinity",
            StoreError::NoSuchKey => "ERR no such key",
            StoreError::IndexOutOfRange => "ERR index out of range",
            StoreError::StringTooLong => {
                "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
            }
        })
    }
}
// ANCHOR_END: store_error_reply

/// `ERR unknown command 'foo', with args beginning with: 'a' 'b' ` — Redis's exact text, with at
/// most 128 characters of arguments, and CR/LF replaced so the error stays one line.
pub(crate) fn unknown_command(argv: &[Vec<u8>]) -> Value {
    let name = String::from_utf8_lossy(&argv[0]);
    let name: String = name.chars().take(128).collect();
    let mut args = String::new();
    for a in &argv[1..] {
        if args.len() >= 128 {
            break;
        }
        let room = 128 - args.len();
        let text = String::from_utf8_lossy(a);
        let cut: String = text.chars().take(room).collect();
        args.push('\'');
        args.push_str(&cut);
        args.push_str("' ");
    }
    let msg = format!("ERR unknown command '{name}', with args beginning with: {args}");
    Value::error_owned(msg.replace(['\r', '\n'], " "))
}

/// The refusal of a command that takes the store's guard itself (`DEBUG RELOAD`, `CONFIG
/// RESETSTAT`) inside `EXEC` or a script, which already hold it on this thread: waiting for the
/// guard there would wait for ever. Redis, with one thread and no lock, runs them.
pub const GUARD_HELD: &str = "ERR This command cannot run inside MULTI/EXEC or a script";
