//! A selector: one set of rights — which commands, which keys, which channels. A user has a
//! root selector and any number more (`(+get ~cache:*)`); a command may run if one of them
//! allows all of it.
//!
//! Go original: none (go-redis had no ACL). Explained in: book chapter "Who may do what".

use std::collections::BTreeMap;

use super::categories::{self, Categories};
use super::keys::Access;
use super::table::CommandTable;
use crate::engine::store::glob_match;
use crate::protocol::resp::split_args;

/// Why a rule was refused, as `ACL SETUSER` words it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleError {
    /// A word that is no rule, or a pattern with a space.
    Syntax,
    /// `+nosuch` or `+@nosuch`.
    Unknown,
    /// `~a` after `~*` or `allkeys`.
    KeysAfterAll,
    /// `&a` after `&*` or `allchannels`.
    ChannelsAfterAll,
    /// `<pass` or `!hash` for a password the user does not have.
    NoSuchPassword,
    /// `#hash` that is not 64 lower-case hex digits.
    BadHash,
    /// `+config|get|x`: a first argument of a subcommand.
    FirstArgOfSubcommand,
}

impl RuleError {
    /// Redis's description of the error.
    pub fn message(self) -> &'static str {
        match self {
            RuleError::Syntax => "Syntax error",
            RuleError::Unknown => "Unknown command or category name in ACL",
            RuleError::KeysAfterAll => {
                "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and \
                 does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
            }
            RuleError::ChannelsAfterAll => {
                "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid \
                 and does not have any effect. Try 'resetchannels' to start with an empty list \
                 of channels"
            }
            RuleError::NoSuchPassword => {
                "The password you are trying to remove from the user does not exist"
            }
            RuleError::BadHash => {
                "The password hash must be exactly 64 characters and contain only lowercase \
                 hexadecimal characters"
            }
            RuleError::FirstArgOfSubcommand => {
                "Allowing first-arg of a subcommand is not supported"
            }
        }
    }
}

/// A key pattern and what it allows: `~p` both, `%R~p` reading, `%W~p` writing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPattern {
    /// The glob pattern.
    pub pattern: Vec<u8>,
    /// Allows reading values.
    pub read: bool,
    /// Allows writing them.
    pub write: bool,
}

impl KeyPattern {
    fn describe(&self) -> String {
        let prefix = match (self.read, self.write) {
            (true, false) => "%R~",
            (false, true) => "%W~",
            _ => "~",
        };
        format!("{prefix}{}", String::from_utf8_lossy(&self.pattern))
    }
}

// ANCHOR: selector
/// One set of rights.
#[derive(Clone, Debug, Default)]
pub struct Selector {
    /// One bit per command and subcommand of the [`CommandTable`].
    allowed: Vec<u64>,
    /// Set by `+@all`: every command, including any the table does not know (Redis keeps this
    /// as a reserved bit, so that `+@all -get` and `-@all +...` describe themselves apart).
    future: bool,
    /// Every command, no bit to test (cleared by any `-` rule).
    all_commands: bool,
    /// `~*`: every key.
    all_keys: bool,
    /// `&*`: every channel.
    all_channels: bool,
    /// Key patterns, in the order given.
    patterns: Vec<KeyPattern>,
    /// Channel patterns, in the order given.
    channels: Vec<Vec<u8>>,
    /// `+select|0`: the first arguments allowed of a command whose bit is clear.
    first_args: BTreeMap<usize, Vec<Vec<u8>>>,
}
// ANCHOR_END: selector

fn has_spaces(s: &[u8]) -> bool {
    s.iter()
        .any(|&b| b.is_ascii_whitespace() || b == 0 || b == 0x0b)
}

impl Selector {
    /// A selector with no rights; with every channel if `all_channels` (`acl-pubsub-default`).
    pub fn new(all_channels: bool) -> Self {
        Selector {
            all_channels,
            ..Selector::default()
        }
    }

    /// True if it allows every command, key and channel: such a user is never checked.
    pub fn unrestricted(&self) -> bool {
        self.all_commands && self.all_keys && self.all_channels
    }

    /// True with `~*`.
    pub fn all_keys(&self) -> bool {
        self.all_keys
    }

    /// True with `&*`.
    pub fn all_channels(&self) -> bool {
        self.all_channels
    }

    /// Its channel patterns.
    pub fn channels(&self) -> &[Vec<u8>] {
        &self.channels
    }

    fn bit(&self, id: usize) -> bool {
        self.allowed
            .get(id / 64)
            .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    fn set_bit(&mut self, id: usize, on: bool) {
        if self.allowed.len() <= id / 64 {
            self.allowed.resize(id / 64 + 1, 0);
        }
        if on {
            self.allowed[id / 64] |= 1 << (id % 64);
        } else {
            self.allowed[id / 64] &= !(1 << (id % 64));
            self.all_commands = false;
        }
    }

    /// Allows or forbids one command, and with a container all its subcommands.
    fn change(&mut self, table: &CommandTable, id: usize, on: bool) {
        self.set_bit(id, on);
        self.first_args.remove(&id);
        for sub in table.entry(id).subcommands.clone() {
            self.set_bit(sub, on);
        }
    }

    fn set_all(&mut self, table: &CommandTable, on: bool) {
        self.allowed = vec![if on { u64::MAX } else { 0 }; table.len() / 64 + 1];
        self.all_commands = on;
        self.future = on;
        self.first_args.clear();
    }

    fn change_category(&mut self, table: &CommandTable, category: Categories, on: bool) {
        for (id, entry) in table.entries() {
            if entry.categories & category != 0 {
                self.change(table, id, on);
            }
        }
    }

    // ANCHOR: apply
    /// Applies one rule about commands, keys or channels (`+get`, `~cache:*`, `&news`).
    ///
    /// # Errors
    /// Why the rule cannot apply; the selector may then be half changed, so callers apply
    /// rules to a copy.
    pub fn apply(&mut self, table: &CommandTable, op: &[u8]) -> Result<(), RuleError> {
        let word = op.to_ascii_lowercase();
        match word.as_slice() {
            b"allkeys" | b"~*" => {
                self.all_keys = true;
                self.patterns.clear();
            }
            b"resetkeys" => {
                self.all_keys = false;
                self.patterns.clear();
            }
            b"allchannels" | b"&*" => {
                self.all_channels = true;
                self.channels.clear();
            }
            b"resetchannels" => {
                self.all_channels = false;
                self.channels.clear();
            }
            b"allcommands" | b"+@all" => self.set_all(table, true),
            b"nocommands" | b"-@all" => self.set_all(table, false),
            [b'~' | b'%', ..] => self.add_pattern(op)?,
            [b'&', ..] => {
                if self.all_channels {
                    return Err(RuleError::ChannelsAfterAll);
                }
                if has_spaces(&op[1..]) {
                    return Err(RuleError::Syntax);
                }
                if !self.channels.iter().any(|c| c == &op[1..]) {
                    self.channels.push(op[1..].to_vec());
                }
            }
            [sign @ (b'+' | b'-'), b'@', category @ ..] => {
                let bit = categories::bit(category).ok_or(RuleError::Unknown)?;
                self.change_category(table, bit, *sign == b'+');
            }
            // The original letters, not `word`'s: a first argument is kept as written.
            [b'+', ..] => self.allow(table, &op[1..])?,
            [b'-', ..] => {
                let id = table.find(&op[1..]).ok_or(RuleError::Unknown)?;
                self.change(table, id, false);
            }
            _ => return Err(RuleError::Syntax),
        }
        Ok(())
    }
    // ANCHOR_END: apply

    /// `~pattern`, `%R~pattern`, `%W~pattern`, `%RW~pattern`.
    fn add_pattern(&mut self, op: &[u8]) -> Result<(), RuleError> {
        if self.all_keys {
            return Err(RuleError::KeysAfterAll);
        }
        let (read, write, pattern) = if op[0] == b'%' {
            // `R` and `W` up to the `~`; with no `~` at all the pattern is empty, as in Redis.
            let (mut read, mut write, mut at) = (false, false, 1);
            while at < op.len() {
                at += 1;
                match op[at - 1].to_ascii_uppercase() {
                    b'R' if !read => read = true,
                    b'W' if !write => write = true,
                    b'~' => break,
                    _ => return Err(RuleError::Syntax),
                }
            }
            if !read && !write {
                return Err(RuleError::Syntax);
            }
            (read, write, &op[at..])
        } else {
            (true, true, &op[1..])
        };
        if has_spaces(pattern) {
            return Err(RuleError::Syntax);
        }
        match self.patterns.iter_mut().find(|p| p.pattern == pattern) {
            Some(p) => {
                p.read |= read;
                p.write |= write;
            }
            None => self.patterns.push(KeyPattern {
                pattern: pattern.to_vec(),
                read,
                write,
            }),
        }
        Ok(())
    }

    /// `+cmd`, `+container|sub`, or `+cmd|first-arg` for a command without subcommands.
    fn allow(&mut self, table: &CommandTable, name: &[u8]) -> Result<(), RuleError> {
        let Some(bar) = name.iter().rposition(|&b| b == b'|') else {
            let id = table.find(name).ok_or(RuleError::Unknown)?;
            self.change(table, id, true);
            return Ok(());
        };
        let (base, arg) = (&name[..bar], &name[bar + 1..]);
        let id = table.find(base).ok_or(RuleError::Unknown)?;
        let entry = table.entry(id);
        if entry.is_subcommand {
            return Err(RuleError::FirstArgOfSubcommand);
        }
        if arg.is_empty() {
            return Err(RuleError::Syntax);
        }
        if !entry.subcommands.is_empty() {
            let sub = table.find(name).ok_or(RuleError::Unknown)?;
            self.change(table, sub, true);
            return Ok(());
        }
        // Redis warns that this form may go away; it still works in 7.0.
        let args = self.first_args.entry(id).or_default();
        if !args.iter().any(|a| a.eq_ignore_ascii_case(arg)) {
            args.push(arg.to_vec());
        }
        Ok(())
    }

    /// A selector from `(rule rule ...)`, the parentheses included.
    ///
    /// # Errors
    /// The first rule inside that does not apply.
    pub fn from_rules(
        table: &CommandTable,
        text: &[u8],
        all_channels: bool,
    ) -> Result<Selector, RuleError> {
        let mut selector = Selector::new(all_channels);
        // Redis splits the inside as it splits a command line, quotes and all; text it cannot
        // split makes a selector with no rules.
        let inner = &text[1..text.len() - 1];
        for rule in split_args(inner).unwrap_or_default() {
            selector.apply(table, &rule)?;
        }
        Ok(selector)
    }

    // ANCHOR: permits
    /// True if the command numbered `id` may run with `argv`.
    pub fn permits_command(&self, table: &CommandTable, id: usize, argv: &[Vec<u8>]) -> bool {
        if self.all_commands || table.entry(id).no_auth || self.bit(id) {
            return true;
        }
        let Some(args) = self.first_args.get(&id) else {
            return false;
        };
        argv.get(1)
            .is_some_and(|first| args.iter().any(|a| a.eq_ignore_ascii_case(first)))
    }

    /// True if a command may do `access` to `key`.
    pub fn permits_key(&self, key: &[u8], access: Access) -> bool {
        self.all_keys
            || self.patterns.iter().any(|p| {
                (p.read || !access.read)
                    && (p.write || !access.write)
                    && glob_match(&p.pattern, key)
            })
    }

    /// True if a command may use `channel`; a pattern subscribed to (`literal`) must be one of
    /// the user's patterns as written, not merely match it.
    pub fn permits_channel(&self, channel: &[u8], literal: bool) -> bool {
        self.all_channels || channel_listed(&self.channels, channel, literal)
    }
    // ANCHOR_END: permits

    // ---------------------------------------------------------------------- describing

    fn count_category(&self, table: &CommandTable, category: Categories) -> (usize, usize) {
        let (mut on, mut off) = (0, 0);
        for (id, entry) in table.entries() {
            if entry.categories & category != 0 {
                if self.bit(id) {
                    on += 1;
                } else {
                    off += 1;
                }
            }
        }
        (on, off)
    }

    // ANCHOR: describe_commands
    /// The command rules that rebuild this selector's bits, as Redis 7.0 writes them: `+@all`
    /// or `-@all`, then the categories that best fit what is left, each chosen while it has
    /// more commands in common with the user than not, then single commands to make up the
    /// difference.
    pub fn describe_commands(&self, table: &CommandTable) -> String {
        let additive = !self.future;
        let mut rules = vec![if additive { "-@all" } else { "+@all" }.to_string()];
        let mut fake = Selector::new(false);
        fake.set_all(table, !additive);
        let mut temp = self.clone();
        let mut applied = [false; categories::NAMES.len()];
        loop {
            let mut best = None;
            let (mut min_diff, mut max_same) = (usize::MAX, 0);
            for (j, _) in categories::NAMES.iter().enumerate() {
                if applied[j] {
                    continue;
                }
                let (on, off) = temp.count_category(table, 1 << j);
                let (diff, same) = if additive { (off, on) } else { (on, off) };
                if same > diff && (diff < min_diff || (diff == min_diff && same > max_same)) {
                    best = Some(j);
                    min_diff = diff;
                    max_same = same;
                }
            }
            let Some(j) = best else { break };
            fake.change_category(table, 1 << j, additive);
            temp.change_category(table, 1 << j, !additive);
            let sign = if additive { '+' } else { '-' };
            rules.push(format!("{sign}@{}", categories::NAMES[j]));
            applied[j] = true;
        }
        for (id, entry) in table.entries() {
            let mine = self.bit(id);
            if mine != fake.bit(id) {
                rules.push(format!("{}{}", if mine { '+' } else { '-' }, entry.name));
                fake.change(table, id, mine);
            }
            if let (false, Some(args)) = (mine, self.first_args.get(&id)) {
                for arg in args {
                    rules.push(format!("+{}|{}", entry.name, String::from_utf8_lossy(arg)));
                }
            }
        }
        rules.join(" ")
    }
    // ANCHOR_END: describe_commands

    /// The key rules as `ACL GETUSER` prints them: `~*`, or the patterns.
    pub fn describe_keys(&self) -> String {
        if self.all_keys {
            return "~*".into();
        }
        let patterns: Vec<String> = self.patterns.iter().map(KeyPattern::describe).collect();
        patterns.join(" ")
    }

    /// The channel rules as `ACL GETUSER` prints them: `&*`, or the patterns.
    pub fn describe_channels(&self) -> String {
        if self.all_channels {
            return "&*".into();
        }
        let channels: Vec<String> = self
            .channels
            .iter()
            .map(|c| format!("&{}", String::from_utf8_lossy(c)))
            .collect();
        channels.join(" ")
    }

    /// The whole selector as `ACL LIST` writes it: keys, channels, commands.
    pub fn describe(&self, table: &CommandTable) -> String {
        let mut out = String::new();
        if self.all_keys {
            out.push_str("~* ");
        } else {
            for p in &self.patterns {
                out.push_str(&p.describe());
                out.push(' ');
            }
        }
        if self.all_channels {
            out.push_str("&* ");
        } else {
            out.push_str("resetchannels ");
            for c in &self.channels {
                out.push('&');
                out.push_str(&String::from_utf8_lossy(c));
                out.push(' ');
            }
        }
        out.push_str(&self.describe_commands(table));
        out
    }
}

/// True if `channel` is among `patterns`: equal to one (`literal`), or matching one.
pub fn channel_listed(patterns: &[Vec<u8>], channel: &[u8], literal: bool) -> bool {
    patterns.iter().any(|p| {
        if literal {
            p == channel
        } else {
            glob_match(p, channel)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::Registry;

    fn table() -> CommandTable {
        let mut registry = Registry::new();
        crate::commands::handlers::register_all(&mut registry);
        CommandTable::new(&registry)
    }

    fn selector(table: &CommandTable, rules: &[&str]) -> Selector {
        let mut s = Selector::new(false);
        for rule in rules {
            s.apply(table, rule.as_bytes()).unwrap();
        }
        s
    }

    #[test]
    fn command_rules_describe_themselves_as_redis_describes_them() {
        let t = table();
        let describe = |rules: &[&str]| selector(&t, rules).describe_commands(&t);
        assert_eq!(describe(&[]), "-@all");
        assert_eq!(describe(&["+@all", "-get"]), "+@all -get");
        assert_eq!(describe(&["+set", "+get"]), "-@all +get +set");
        assert_eq!(describe(&["+@all", "-@dangerous"]), "+@all -@dangerous");
        assert_eq!(
            describe(&["+@all", "-@admin", "+config|get"]),
            "+@all -@admin +config|get"
        );
        assert_eq!(
            describe(&["+select|0", "+select|1"]),
            "-@all +select|0 +select|1"
        );
        // A container's rule covers its subcommands.
        assert_eq!(
            describe(&["+config", "-config|set"]),
            "-@all +config -config|set"
        );
        assert_eq!(describe(&["+client|list"]), "-@all +client|list");
    }

    #[test]
    fn key_patterns_merge_their_rights() {
        let t = table();
        let s = selector(&t, &["%R~a", "%W~a", "%R~b", "~c"]);
        assert_eq!(s.describe_keys(), "~a %R~b ~c");
        let (read, write) = (
            Access {
                read: true,
                write: false,
            },
            Access {
                read: false,
                write: true,
            },
        );
        assert!(s.permits_key(b"b", read) && !s.permits_key(b"b", write));
        assert!(s.permits_key(b"a", write) && !s.permits_key(b"z", read));
    }

    #[test]
    fn rules_are_refused_with_the_reason_redis_gives() {
        let t = table();
        let mut s = Selector::new(false);
        assert_eq!(s.apply(&t, b"+nosuch"), Err(RuleError::Unknown));
        assert_eq!(
            s.apply(&t, b"+client|list|x"),
            Err(RuleError::FirstArgOfSubcommand)
        );
        assert_eq!(s.apply(&t, b"%~a"), Err(RuleError::Syntax));
        assert_eq!(s.apply(&t, b"~a b"), Err(RuleError::Syntax));
        s.apply(&t, b"allkeys").unwrap();
        assert_eq!(s.apply(&t, b"~a"), Err(RuleError::KeysAfterAll));
    }
}
