//! `COMMAND GETKEYS` and `COMMAND GETKEYSANDFLAGS`: which words of a full command are keys.
//!
//! Go original: none (go-redis had no `COMMAND`). Explained in: book chapter "Talking to real
//! clients".
//!
//! Cluster-aware clients ask this of commands whose keys they cannot place themselves; the
//! answer comes from the key specifications (`commands::keyspecs`), as Redis's does.

use crate::commands::Shared;
use crate::commands::keyspecs::{self, flag_names};
use crate::protocol::resp::Value;

// ANCHOR: getkeys
/// `COMMAND GETKEYS cmd arg ...` (`with_flags` false) or `COMMAND GETKEYSANDFLAGS cmd arg ...`:
/// the keys of the command `argv`, each with its flags for the latter; Redis's errors, in its
/// order: an unknown command (or subcommand), one without keys, a wrong number of arguments,
/// arguments the key specifications cannot read.
pub fn command_getkeys(shared: &Shared, argv: &[Vec<u8>], with_flags: bool) -> Value {
    let Some(spec) = shared.registry.lookup(&argv[0]) else {
        return Value::error("ERR Invalid command specified");
    };
    let (name, arity_ok) = match spec.full_name(argv) {
        // A subcommand's arity was checked on the way; a command's is checked here.
        Ok(name) => (name, name != spec.name || spec.arity_ok(argv.len())),
        // The subcommand exists, with another arity.
        Err((Some(name), _)) => (name, false),
        Err((None, _)) => return Value::error("ERR Invalid command specified"),
    };
    // A container the registry does not split (`OBJECT`) has its subcommands' specs.
    let Some(name) = keyspecs::resolve(name, &argv[1..]).filter(|n| keyspecs::has_keys(n)) else {
        return Value::error("ERR The command has no key arguments");
    };
    if !arity_ok {
        return Value::error("ERR Invalid number of arguments specified for command");
    }
    let Ok(keys) = keyspecs::keys_of(name, &argv[1..]) else {
        return Value::error("ERR Invalid arguments specified for command");
    };
    if keys.is_empty() {
        return Value::error("ERR Invalid arguments specified for command");
    }
    let word = |pos: usize| Value::Bulk(argv[pos].clone());
    Value::Array(
        keys.into_iter()
            .map(|k| {
                if with_flags {
                    let flags = flag_names(k.flags).map(Value::simple).collect();
                    Value::Array(vec![word(k.pos), Value::Set(flags)])
                } else {
                    word(k.pos)
                }
            })
            .collect(),
    )
}
// ANCHOR_END: getkeys

#[cfg(test)]
mod tests {
    use crate::commands::Registry;
    use crate::commands::handlers::register_all;
    use crate::commands::keyspecs;

    #[test]
    fn every_command_with_keys_has_key_specs() {
        let mut r = Registry::new();
        register_all(&mut r);
        let missing: Vec<&str> = r
            .iter()
            .filter(|s| s.first_key > 0 && s.subcommands.is_empty())
            .map(|s| s.name)
            .filter(|name| !keyspecs::knows(name))
            .collect();
        assert!(missing.is_empty(), "no key specs for {missing:?}");
    }
}
