//! The `zsets` command family. (Placeholder: filled in by later work.)

use crate::commands::Registry;

/// Registers this family's commands.
pub fn register(_r: &mut Registry) {}
