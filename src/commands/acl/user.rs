//! A user: whether it may log in, its passwords (as SHA-256 digests), and its selectors.
//!
//! Go original: none (go-redis had one password and no users). Explained in: book chapter
//! "Who may do what".

use super::selector::{RuleError, Selector};
use super::table::CommandTable;
use crate::engine::sha256::{constant_time_eq, sha256_hex};
use crate::protocol::resp::Value;

// ANCHOR: user
/// One user, as `ACL SETUSER` builds it.
#[derive(Clone, Debug)]
pub struct User {
    /// Its name.
    pub name: Vec<u8>,
    /// `on`: it may log in. A new user is `off`.
    pub enabled: bool,
    /// `nopass`: any password logs it in.
    pub nopass: bool,
    /// `sanitize-payload` (`Some(true)`) or `skip-sanitize-payload` (`Some(false)`): how
    /// `RESTORE` payloads are checked, kept and shown for Redis's sake.
    pub sanitize: Option<bool>,
    /// The SHA-256 digests of its passwords, in hex: no password is kept as given.
    pub passwords: Vec<String>,
    /// The root selector first, then the others.
    pub selectors: Vec<Selector>,
    /// True if a selector allows everything: then no command of this user is checked.
    pub unrestricted: bool,
}
// ANCHOR_END: user

/// How `ACL SETUSER` refused a rule: the rule as given and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetUserError {
    /// The rule, as given (a selector with its parentheses).
    pub rule: Vec<u8>,
    /// Why.
    pub error: RuleError,
}

impl SetUserError {
    /// Redis's error reply.
    pub fn reply(&self) -> Value {
        Value::error_owned(format!(
            "ERR Error in ACL SETUSER modifier '{}': {}",
            String::from_utf8_lossy(&self.rule),
            self.error.message()
        ))
    }
}

fn is_hash(hex: &[u8]) -> bool {
    hex.len() == 64 && hex.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl User {
    /// A new user named `name`: off, no password, no rights (every channel if
    /// `acl-pubsub-default` is `allchannels`).
    pub fn new(name: &[u8], all_channels: bool) -> Self {
        User {
            name: name.to_vec(),
            enabled: false,
            nopass: false,
            sanitize: None,
            passwords: Vec::new(),
            selectors: vec![Selector::new(all_channels)],
            unrestricted: false,
        }
    }

    /// The `default` user of a server without ACL rules: every right, and `requirepass` if set.
    pub fn default_user(table: &CommandTable, requirepass: Option<&[u8]>) -> Self {
        let mut user = User::new(b"default", true);
        for rule in ["+@all", "~*", "&*", "on", "nopass"] {
            let _ = user.apply(table, rule.as_bytes(), true);
        }
        user.set_password(requirepass);
        user
    }

    /// Sets the only password (`requirepass`), or none (`nopass`).
    pub fn set_password(&mut self, password: Option<&[u8]>) {
        self.passwords.clear();
        self.nopass = password.is_none();
        if let Some(p) = password {
            self.passwords.push(sha256_hex(p));
        }
    }

    // ANCHOR: apply_rule
    /// Applies one rule (`on`, `>secret`, `+@read`, `(~a:* +get)`, ...).
    ///
    /// # Errors
    /// Why the rule cannot apply.
    pub fn apply(
        &mut self,
        table: &CommandTable,
        op: &[u8],
        all_channels: bool,
    ) -> Result<(), RuleError> {
        let word = op.to_ascii_lowercase();
        match word.as_slice() {
            b"" => {}
            b"on" => self.enabled = true,
            b"off" => self.enabled = false,
            b"skip-sanitize-payload" => self.sanitize = Some(false),
            b"sanitize-payload" => self.sanitize = Some(true),
            b"nopass" => {
                self.nopass = true;
                self.passwords.clear();
            }
            b"resetpass" => {
                self.nopass = false;
                self.passwords.clear();
            }
            [b'>' | b'#', ..] => {
                let digest = if op[0] == b'>' {
                    sha256_hex(&op[1..])
                } else if is_hash(&op[1..]) {
                    String::from_utf8_lossy(&op[1..]).into_owned()
                } else {
                    return Err(RuleError::BadHash);
                };
                if !self.passwords.contains(&digest) {
                    self.passwords.push(digest);
                }
                self.nopass = false;
            }
            [b'<' | b'!', ..] => {
                let digest = if op[0] == b'<' {
                    sha256_hex(&op[1..])
                } else if is_hash(&op[1..]) {
                    String::from_utf8_lossy(&op[1..]).into_owned()
                } else {
                    return Err(RuleError::BadHash);
                };
                let at = self.passwords.iter().position(|p| *p == digest);
                let at = at.ok_or(RuleError::NoSuchPassword)?;
                self.passwords.remove(at);
            }
            [b'(', .., b')'] => {
                let selector = Selector::from_rules(table, op, all_channels)?;
                self.selectors.push(selector);
            }
            b"clearselectors" => self.selectors.truncate(1),
            b"reset" => {
                self.nopass = false;
                self.passwords.clear();
                self.selectors = vec![Selector::new(all_channels)];
                self.enabled = false;
                self.sanitize = Some(true);
                self.selectors[0].apply(table, b"-@all")?;
            }
            _ => self.selectors[0].apply(table, op)?,
        }
        self.unrestricted = self.selectors.iter().any(Selector::unrestricted);
        Ok(())
    }
    // ANCHOR_END: apply_rule

    /// Applies `rules` in order to a copy of this user and returns it, or the first rule that
    /// failed: nothing changes unless every rule applies, as in Redis.
    ///
    /// # Errors
    /// The failed rule and why.
    pub fn with_rules(
        &self,
        table: &CommandTable,
        rules: &[Vec<u8>],
        all_channels: bool,
    ) -> Result<User, SetUserError> {
        let mut user = self.clone();
        for rule in rules {
            user.apply(table, rule, all_channels)
                .map_err(|error| SetUserError {
                    rule: rule.clone(),
                    error,
                })?;
        }
        Ok(user)
    }

    /// True if `password` logs this user in.
    pub fn accepts(&self, password: &[u8]) -> bool {
        if !self.enabled {
            return false;
        }
        if self.nopass {
            return true;
        }
        let attempt = sha256_hex(password);
        // Every digest is compared, in constant time each: the time of a refusal says nothing
        // about which password came close.
        self.passwords.iter().fold(false, |ok, p| {
            constant_time_eq(p.as_bytes(), attempt.as_bytes()) | ok
        })
    }

    /// The user as `ACL LIST` and the ACL file write it, without the `user <name>` prefix.
    pub fn describe(&self, table: &CommandTable) -> String {
        let mut out = String::new();
        for (on, flag) in [
            (self.enabled, "on"),
            (!self.enabled, "off"),
            (self.nopass, "nopass"),
            (self.sanitize == Some(false), "skip-sanitize-payload"),
            (self.sanitize == Some(true), "sanitize-payload"),
        ] {
            if on {
                out.push_str(flag);
                out.push(' ');
            }
        }
        for p in &self.passwords {
            out.push('#');
            out.push_str(p);
            out.push(' ');
        }
        for (i, selector) in self.selectors.iter().enumerate() {
            if i == 0 {
                out.push_str(&selector.describe(table));
            } else {
                out.push_str(&format!(" ({})", selector.describe(table)));
            }
        }
        out
    }

    /// The `ACL GETUSER` reply: flags, passwords, the root selector's commands, keys and
    /// channels, and every other selector.
    pub fn reply(&self, table: &CommandTable) -> Value {
        let flags = [
            (self.enabled, "on"),
            (!self.enabled, "off"),
            (self.nopass, "nopass"),
            (self.sanitize == Some(false), "skip-sanitize-payload"),
            (self.sanitize == Some(true), "sanitize-payload"),
        ]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, f)| Value::bulk(f))
        .collect();
        let describe = |s: &Selector| {
            vec![
                (
                    Value::bulk("commands"),
                    Value::bulk(s.describe_commands(table)),
                ),
                (Value::bulk("keys"), Value::bulk(s.describe_keys())),
                (Value::bulk("channels"), Value::bulk(s.describe_channels())),
            ]
        };
        let mut map = vec![
            (Value::bulk("flags"), Value::Set(flags)),
            (
                Value::bulk("passwords"),
                Value::bulk_array(self.passwords.iter()),
            ),
        ];
        map.extend(describe(&self.selectors[0]));
        let others = self.selectors[1..]
            .iter()
            .map(|s| Value::Map(describe(s)))
            .collect();
        map.push((Value::bulk("selectors"), Value::Array(others)));
        Value::Map(map)
    }
}

/// Joins rules spread over several words back into their selectors: `(+get`, `~a)` is the one
/// rule `(+get ~a)`, as Redis reads both `ACL SETUSER` and the ACL file.
///
/// # Errors
/// The word that opens a selector nobody closes.
pub fn merge_selectors(words: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, Vec<u8>> {
    let mut out = Vec::new();
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (i, word) in words.iter().enumerate() {
        if let Some((_, selector)) = &mut open {
            selector.push(b' ');
            selector.extend_from_slice(word);
            if word.last() == Some(&b')') {
                out.push(std::mem::take(selector));
                open = None;
            }
        } else if word.first() == Some(&b'(') && word.last() != Some(&b')') {
            open = Some((i, word.clone()));
        } else {
            out.push(word.clone());
        }
    }
    match open {
        Some((i, _)) => Err(words[i].clone()),
        None => Ok(out),
    }
}
