//! A parsed request: the command name and its binary-safe arguments.
//!
//! Go original: `internal/commands/command.go`. Explained in: book chapter 3.

use crate::protocol::resp::Value;

/// A request: `argv[0]` is the name (any case), the rest its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Every word of the request, name first.
    pub argv: Vec<Vec<u8>>,
}

impl Command {
    /// Builds a command from a request frame: an array of bulk strings.
    ///
    /// # Errors
    /// `ERR Protocol error` text when the frame is not a non-empty array of bulk strings.
    pub fn parse(frame: Value) -> Result<Command, Value> {
        let Value::Array(items) = frame else {
            return Err(Value::error("ERR Protocol error: expected an array of bulk strings"));
        };
        let argv = items
            .into_iter()
            .map(|v| match v {
                Value::Bulk(b) => Ok(b),
                _ => Err(Value::error("ERR Protocol error: expected an array of bulk strings")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if argv.is_empty() {
            return Err(Value::error("ERR Protocol error: empty command"));
        }
        Ok(Command { argv })
    }

    /// The name as sent.
    pub fn name(&self) -> &[u8] {
        &self.argv[0]
    }

    /// The arguments after the name.
    pub fn args(&self) -> &[Vec<u8>] {
        &self.argv[1..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_arrays_of_bulks_only() {
        let c = Command::parse(Value::Array(vec![Value::bulk("GET"), Value::bulk("k")])).unwrap();
        assert_eq!(c.name(), b"GET");
        assert_eq!(c.args(), &[b"k".to_vec()]);
        assert!(Command::parse(Value::Integer(1)).is_err());
        assert!(Command::parse(Value::Array(vec![])).is_err());
        assert!(Command::parse(Value::Array(vec![Value::Integer(1)])).is_err());
    }
}
