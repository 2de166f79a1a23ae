//! The `zsets` command family. (Placeholder: filled in by later work.)

use crate::commands::Registry;

/// Registers this family's commands.
pub fn register(_r: &mut Registry) {}

/// Placeholder.
pub fn serve_blocked(
    _store: &mut crate::engine::store::Store,
    _now: u64,
    _argv: &[Vec<u8>],
    _key: &[u8],
    _effects: &mut Vec<crate::commands::Effect>,
) -> Option<crate::protocol::resp::Value> {
    None
}
