//! A command's syntax line, `LPUSH key element [element ...]`, read into the argument tree that
//! `COMMAND DOCS` answers.
//!
//! Go original: none. Explained in: book chapter "Talking to real clients".
//!
//! Every Redis manual writes a command's interface in one notation: keywords in capitals
//! (`NX`, `LIMIT`), the values a caller chooses in lower case (`key`, `seconds`), `[...]` around
//! what may be left out, `<a | b>` for a choice that must be made, `[a | b]` for one that may,
//! and `x [x ...]` for something that may repeat. Redis 7 gives clients the same facts as a tree:
//! one map per argument with its `name`, its `type` (`key`, `string`, `integer`, `double`,
//! `pattern`, `unix-time`, `pure-token` for a lone keyword, `oneof` for a choice, `block` for
//! parts that go together), the `token` (keyword) in front of it, and the `flags` `optional`,
//! `multiple` and `multiple_token`. `redis-cli` turns the tree back into the grey hint it shows
//! as you type. This module goes the other way, from the line a person reads to the tree.
//!
//! It works in two steps, like most parsers. A lexer cuts the line into words and the five
//! marks `[ ] < > |` (and `...`). A recursive descent then reads a *sequence* (items one after
//! another) whose items are words or bracketed groups, each group holding *alternatives* (one
//! or more sequences separated by `|`). Three small rules turn what it reads into Redis's tree:
//!
//! - **A keyword in front of one thing is that thing's token.** `EX seconds` is the argument
//!   `seconds` with the token `EX`; `AGGREGATE <SUM | MIN | MAX>` is a choice with the token
//!   `AGGREGATE`; `[LIMIT offset count]`, a keyword in front of several things, is a block with
//!   that token. A keyword alone (`[WITHSCORES]`) is a `pure-token`.
//! - **`[X ...]` repeats what comes just before it**, which must read the same as `X`:
//!   `key [key ...]` is one `key` flagged `multiple`, `field value [field value ...]` one block
//!   of the two, and `GET pattern [GET pattern ...]` repeats the keyword too (`multiple_token`),
//!   where `WEIGHTS weight [weight ...]` writes its keyword once.
//! - **A value's type comes from its name**, by the notation's own conventions (`key` and
//!   `destination` are keys, `count` is an integer, `timeout` a double, see [`default_type`]);
//!   the table overrides the few names whose type depends on the command (`increment` is an
//!   integer for `INCRBY`, a double for `INCRBYFLOAT`).
//!
//! Redis's files also name each choice and block. When their authors had no better word they
//! joined the parts' names with `_` (`field_value`, `offset_count`), and that is the one rule
//! here: a syntax line does not say that Redis calls `[NX | XX]` a `condition`. Nothing reads
//! those names: `redis-cli` builds its hints and `HELP` from the parts alone.
//!
//! The line also fixes the command's arity, the number of words a call has (Redis's `n` for
//! exactly n, `-n` for at least n): [`Syntax::arity`] counts it, and a test holds it to the
//! arity the registry enforces, so the table cannot describe a command the server does not run.

use std::fmt;

/// What kind of value an argument is, or how its parts combine: Redis's argument types.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A key name.
    Key,
    /// Any string.
    String,
    /// An integer.
    Integer,
    /// A floating-point number.
    Double,
    /// A glob-style pattern.
    Pattern,
    /// A Unix time, in seconds or milliseconds.
    UnixTime,
    /// A keyword alone, with no value after it (`NX`).
    PureToken,
    /// Exactly one of the parts.
    OneOf(Vec<Arg>),
    /// All of the parts, in order.
    Block(Vec<Arg>),
}

impl Kind {
    /// The type's name in `COMMAND DOCS`.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Key => "key",
            Kind::String => "string",
            Kind::Integer => "integer",
            Kind::Double => "double",
            Kind::Pattern => "pattern",
            Kind::UnixTime => "unix-time",
            Kind::PureToken => "pure-token",
            Kind::OneOf(_) => "oneof",
            Kind::Block(_) => "block",
        }
    }

    /// The type named `name` (`"double"`), for a value; `None` for an unknown name or for the
    /// kinds only the notation itself makes (tokens, choices, blocks).
    pub fn value_type(name: &str) -> Option<Kind> {
        Some(match name {
            "key" => Kind::Key,
            "string" => Kind::String,
            "integer" => Kind::Integer,
            "double" => Kind::Double,
            "pattern" => Kind::Pattern,
            "unix-time" => Kind::UnixTime,
            _ => return None,
        })
    }

    /// The parts of a choice or a block; none for anything else.
    pub fn parts(&self) -> &[Arg] {
        match self {
            Kind::OneOf(parts) | Kind::Block(parts) => parts,
            _ => &[],
        }
    }
}

/// One argument of a command, as `COMMAND DOCS` describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arg {
    /// Its name: as written for a value, the keyword in lower case for a pure token, the parts'
    /// names joined with `_` for a choice or a block.
    pub name: String,
    /// Its type, with the parts of a choice or a block.
    pub kind: Kind,
    /// The keyword written in front of it (`EX` of `EX seconds`), or the keyword itself for a
    /// pure token.
    pub token: Option<String>,
    /// It may be left out.
    pub optional: bool,
    /// It may be given more than once.
    pub multiple: bool,
    /// Each repetition repeats the token too (`GET pattern [GET pattern ...]`).
    pub multiple_token: bool,
    /// For a key, which of the command's keys it is (counted from 0, in order, a choice's
    /// alternatives sharing their numbers).
    pub key_spec_index: Option<usize>,
}

impl Arg {
    fn new(name: String, kind: Kind) -> Arg {
        Arg {
            name,
            kind,
            token: None,
            optional: false,
            multiple: false,
            multiple_token: false,
            key_spec_index: None,
        }
    }

    /// A keyword: a pure token named after it.
    fn keyword(word: &str) -> Arg {
        let mut arg = Arg::new(word.to_ascii_lowercase(), Kind::PureToken);
        arg.token = Some(word.to_string());
        arg
    }

    /// A choice or a block of `parts`, named after them.
    fn group(parts: Vec<Arg>, one_of: bool) -> Arg {
        let name = parts
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join("_");
        Arg::new(
            name,
            if one_of {
                Kind::OneOf(parts)
            } else {
                Kind::Block(parts)
            },
        )
    }

    /// A keyword standing alone, not yet attached to what follows it.
    fn is_bare_keyword(&self) -> bool {
        self.kind == Kind::PureToken && !self.optional && !self.multiple
    }

    /// The fewest words this argument takes in a call.
    pub fn min_words(&self) -> usize {
        if self.optional {
            return 0;
        }
        let own = match &self.kind {
            Kind::PureToken => return 1,
            Kind::Block(parts) => parts.iter().map(Arg::min_words).sum(),
            Kind::OneOf(parts) => parts.iter().map(Arg::min_words).min().unwrap_or(0),
            _ => 1,
        };
        own + usize::from(self.token.is_some())
    }

    /// True if calls may differ in how many words this argument takes.
    pub fn is_variable(&self) -> bool {
        if self.optional || self.multiple {
            return true;
        }
        let parts = self.kind.parts();
        parts.iter().any(Arg::is_variable)
            || (matches!(self.kind, Kind::OneOf(_))
                && parts.iter().any(|p| p.min_words() != parts[0].min_words()))
    }
}

/// The conventional type of a value called `name`: the words Redis's manuals use for keys,
/// numbers and patterns. A command whose value means otherwise says so in the table.
pub fn default_type(name: &str) -> Kind {
    match name {
        "key" | "key1" | "key2" | "newkey" | "destkey" | "source" | "destination" | "src"
        | "dst" => Kind::Key,
        "pattern" => Kind::Pattern,
        "unix-time-seconds" | "unix-time-milliseconds" => Kind::UnixTime,
        "score" | "timeout" => Kind::Double,
        "count" | "cursor" | "db" | "destination-db" | "decrement" | "increment" | "start"
        | "stop" | "end" | "index" | "index1" | "index2" | "offset" | "seconds"
        | "milliseconds" | "len" | "limit" | "numkeys" | "rank" | "num-matches" | "frequency"
        | "ttl" | "protover" | "client-id" | "weight" => Kind::Integer,
        _ => Kind::String,
    }
}

/// A command's syntax line, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Syntax {
    /// The command's name, and a subcommand's after it (`["CLIENT", "LIST"]`).
    pub words: Vec<String>,
    /// Its arguments, in order.
    pub args: Vec<Arg>,
}

impl Syntax {
    /// The full name Redis prints: lower case, a subcommand after a `|` (`client|list`).
    pub fn full_name(&self) -> String {
        self.words.join("|").to_ascii_lowercase()
    }

    /// Redis's arity: the number of words of every call, name included, or minus the fewest
    /// when calls may differ.
    pub fn arity(&self) -> i32 {
        let fewest = self.words.len() + self.args.iter().map(Arg::min_words).sum::<usize>();
        let fewest = i32::try_from(fewest).unwrap_or(i32::MAX);
        if self.args.iter().any(Arg::is_variable) {
            -fewest
        } else {
            fewest
        }
    }

    /// Gives every argument called `name` (at any depth) the type `kind`.
    pub fn set_type(&mut self, name: &str, kind: &Kind) -> bool {
        fn visit(args: &mut [Arg], name: &str, kind: &Kind) -> bool {
            let mut found = false;
            for arg in args {
                match &mut arg.kind {
                    Kind::OneOf(parts) | Kind::Block(parts) => found |= visit(parts, name, kind),
                    Kind::PureToken => {}
                    own if arg.name == name => {
                        *own = kind.clone();
                        found = true;
                    }
                    _ => {}
                }
            }
            found
        }
        visit(&mut self.args, name, kind)
    }

    /// Numbers the keys in order; the alternatives of a choice are each one of the same keys.
    pub fn number_keys(&mut self) {
        fn visit(args: &mut [Arg], mut next: usize) -> usize {
            for arg in args {
                arg.key_spec_index = None;
                match &mut arg.kind {
                    Kind::Key => {
                        arg.key_spec_index = Some(next);
                        next += 1;
                    }
                    Kind::Block(parts) => next = visit(parts, next),
                    Kind::OneOf(parts) => {
                        next = parts
                            .iter_mut()
                            .map(|p| visit(std::slice::from_mut(p), next))
                            .max()
                            .unwrap_or(next)
                    }
                    _ => {}
                }
            }
            next
        }
        visit(&mut self.args, 0);
    }
}

/// Why a syntax line could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError(pub String);

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SyntaxError {}

/// What the lexer cuts a line into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lexeme<'a> {
    Word(&'a str),
    /// One of `[ ] < > |`.
    Mark(char),
    /// `...`
    Ellipsis,
}

/// Cuts `line` into words and marks. A word is any run of characters other than spaces and
/// marks: `ip:port`, `yes/no` and `unix-time-seconds` are words.
fn lex(line: &str) -> Vec<Lexeme<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        let mark = matches!(c, '[' | ']' | '<' | '>' | '|');
        if c.is_whitespace() || mark {
            if let Some(s) = start.take() {
                out.push(word(&line[s..i]));
            }
            if mark {
                out.push(Lexeme::Mark(c));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push(word(&line[s..]));
    }
    out
}

fn word(w: &str) -> Lexeme<'_> {
    if w == "..." {
        Lexeme::Ellipsis
    } else {
        Lexeme::Word(w)
    }
}

/// A keyword has capitals and no lower-case letters (`NX`, `LIB-NAME`); anything else names a
/// value.
fn is_keyword(w: &str) -> bool {
    w.chars().any(|c| c.is_ascii_uppercase()) && !w.chars().any(|c| c.is_ascii_lowercase())
}

/// Reads a syntax line: the command's name (and a subcommand's), then its arguments.
///
/// # Errors
/// A [`SyntaxError`] saying what is wrong where: an unclosed group, a `...` that repeats
/// nothing before it, a line with no name.
pub fn parse(line: &str) -> Result<Syntax, SyntaxError> {
    let lexemes = lex(line);
    // The name is the keywords the line starts with: one for a command, two for a subcommand.
    let words: Vec<String> = lexemes
        .iter()
        .map_while(|l| match l {
            Lexeme::Word(w) if is_keyword(w) => Some(w.to_string()),
            _ => None,
        })
        .collect();
    if words.is_empty() || words.len() > 2 {
        return Err(SyntaxError(format!(
            "`{line}`: a name is one or two words in capitals"
        )));
    }
    let mut parser = Parser {
        lexemes: &lexemes[words.len()..],
        at: 0,
    };
    let items = parser.sequence()?;
    match parser.peek() {
        None => {}
        Some(Lexeme::Ellipsis) => {
            return Err(SyntaxError(format!("`{line}`: `...` outside `[x ...]`")));
        }
        Some(_) => {
            return Err(SyntaxError(format!(
                "`{line}`: a `]`, `>` or `|` that closes nothing"
            )));
        }
    }
    let mut syntax = Syntax {
        words,
        args: attach_tokens(items),
    };
    syntax.number_keys();
    Ok(syntax)
}

/// A recursive-descent reader over the lexemes after the name.
struct Parser<'l, 'a> {
    lexemes: &'l [Lexeme<'a>],
    at: usize,
}

impl<'a> Parser<'_, 'a> {
    fn peek(&self) -> Option<Lexeme<'a>> {
        self.lexemes.get(self.at).copied()
    }

    fn error(&self, what: &str) -> SyntaxError {
        match self.peek() {
            None => SyntaxError(format!("{what} at the end")),
            Some(_) => SyntaxError(format!("{what} at item {} after the name", self.at + 1)),
        }
    }

    // ANCHOR: sequence
    /// Items one after another, up to a `|`, a closing mark or the end: each a word, a group,
    /// or a `[X ...]` that makes what is before it repeatable.
    fn sequence(&mut self) -> Result<Vec<Arg>, SyntaxError> {
        let mut items: Vec<Arg> = Vec::new();
        while let Some(lexeme) = self.peek() {
            match lexeme {
                Lexeme::Word(w) => {
                    self.at += 1;
                    items.push(if is_keyword(w) {
                        Arg::keyword(w)
                    } else {
                        Arg::new(w.to_string(), default_type(w))
                    });
                }
                Lexeme::Mark(open @ ('[' | '<')) => {
                    self.at += 1;
                    let (alternatives, repeats) = self.alternatives()?;
                    let close = if open == '[' { ']' } else { '>' };
                    if self.peek() != Some(Lexeme::Mark(close)) {
                        return Err(self.error(&format!("expected `{close}`")));
                    }
                    self.at += 1;
                    if repeats {
                        if open != '[' {
                            return Err(self.error("a repetition is written `[... ...]`"));
                        }
                        repeat(&mut items, alternatives).map_err(|e| self.error(e))?;
                    } else {
                        let mut group = choice(alternatives);
                        group.optional |= open == '[';
                        items.push(group);
                    }
                }
                // A closing mark, `|` or `...`: the caller reads it.
                Lexeme::Mark(_) | Lexeme::Ellipsis => break,
            }
        }
        Ok(items)
    }
    // ANCHOR_END: sequence

    /// Sequences separated by `|`, up to the closing mark; and whether the last one ended with
    /// `...`.
    fn alternatives(&mut self) -> Result<(Vec<Vec<Arg>>, bool), SyntaxError> {
        let mut alternatives = vec![self.sequence()?];
        loop {
            match self.peek() {
                Some(Lexeme::Mark('|')) => {
                    self.at += 1;
                    alternatives.push(self.sequence()?);
                }
                Some(Lexeme::Ellipsis) => {
                    self.at += 1;
                    return Ok((alternatives, true));
                }
                _ => return Ok((alternatives, false)),
            }
        }
    }
}

/// A keyword followed by one more item becomes that item's token (`EX seconds`).
fn attach_tokens(items: Vec<Arg>) -> Vec<Arg> {
    let mut out: Vec<Arg> = Vec::with_capacity(items.len());
    for item in items {
        match out.last_mut() {
            Some(last)
                if last.is_bare_keyword() && item.token.is_none() && !item.is_bare_keyword() =>
            {
                let token = last.token.take();
                *last = item;
                last.token = token;
            }
            _ => out.push(item),
        }
    }
    out
}

/// One alternative of a group as a single argument: the item itself, a keyword's item with its
/// token, or a block of several items (with the keyword in front as the block's token).
fn one_argument(items: Vec<Arg>) -> Arg {
    if items.len() > 2 && items[0].is_bare_keyword() {
        let mut items = items;
        let token = items.remove(0).token;
        let mut block = Arg::group(attach_tokens(items), false);
        block.token = token;
        return block;
    }
    let mut args = attach_tokens(items);
    if args.len() == 1 {
        args.remove(0)
    } else {
        Arg::group(args, false)
    }
}

/// The argument a group's alternatives make: the one argument of a single alternative, or a
/// choice between them.
fn choice(alternatives: Vec<Vec<Arg>>) -> Arg {
    let mut args: Vec<Arg> = alternatives.into_iter().map(one_argument).collect();
    if args.len() == 1 {
        args.remove(0)
    } else {
        Arg::group(args, true)
    }
}

// ANCHOR: repeat
/// `[X ...]` after `items`: the last items must read as `X`, and become one argument flagged
/// `multiple` (with `multiple_token` when `X` starts with its keyword).
fn repeat(items: &mut Vec<Arg>, alternatives: Vec<Vec<Arg>>) -> Result<(), &'static str> {
    let repeated = if alternatives.len() > 1 {
        vec![choice(alternatives)]
    } else {
        alternatives.into_iter().next().unwrap_or_default()
    };
    let n = repeated.len();
    if n == 0 || items.len() < n || items[items.len() - n..] != repeated[..] {
        return Err("`[x ...]` must repeat what comes just before it");
    }
    items.truncate(items.len() - n);
    let with_token = repeated[0].is_bare_keyword();
    let mut arg = one_argument(repeated);
    arg.multiple = true;
    arg.multiple_token = with_token;
    items.push(arg);
    Ok(())
}
// ANCHOR_END: repeat

#[cfg(test)]
mod tests {
    use super::*;

    /// The argument tree in a short form: `name:type`, `TOKEN` before it, `?` optional, `*`
    /// multiple, `+` multiple_token, `#n` key spec index, parts in parentheses.
    fn shape(args: &[Arg]) -> String {
        args.iter()
            .map(|a| {
                let mut s = String::new();
                if let Some(t) = &a.token {
                    s.push_str(t);
                    s.push(' ');
                }
                s.push_str(&a.name);
                s.push(':');
                s.push_str(a.kind.name());
                if let Some(i) = a.key_spec_index {
                    s.push_str(&format!("#{i}"));
                }
                for (on, mark) in [
                    (a.optional, '?'),
                    (a.multiple, '*'),
                    (a.multiple_token, '+'),
                ] {
                    if on {
                        s.push(mark);
                    }
                }
                if !a.kind.parts().is_empty() {
                    s.push_str(&format!("({})", shape(a.kind.parts())));
                }
                s
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn read(line: &str) -> (String, i32) {
        let syntax = parse(line).unwrap();
        (shape(&syntax.args), syntax.arity())
    }

    #[test]
    fn values_repeat_and_take_their_types_from_their_names() {
        assert_eq!(read("GET key"), ("key:key#0".into(), 2));
        assert_eq!(
            read("LPUSH key element [element ...]"),
            ("key:key#0 element:string*".into(), -3)
        );
        assert_eq!(
            read("BLPOP key [key ...] timeout"),
            ("key:key#0* timeout:double".into(), -3)
        );
        assert_eq!(
            read("HSET key field value [field value ...]"),
            (
                "key:key#0 field_value:block*(field:string value:string)".into(),
                -4
            )
        );
        assert_eq!(read("PING [message]"), ("message:string?".into(), -1));
        assert_eq!(read("RANDOMKEY"), (String::new(), 1));
    }

    #[test]
    fn keywords_become_tokens_choices_and_blocks() {
        assert_eq!(
            read(
                "SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | \
                 PXAT unix-time-milliseconds | KEEPTTL]"
            )
            .0,
            "key:key#0 value:string nx_xx:oneof?(NX nx:pure-token XX xx:pure-token) GET get:pure-token? \
             seconds_milliseconds_unix-time-seconds_unix-time-milliseconds_keepttl:oneof?(EX seconds:integer \
             PX milliseconds:integer EXAT unix-time-seconds:unix-time PXAT unix-time-milliseconds:unix-time \
             KEEPTTL keepttl:pure-token)"
        );
        assert_eq!(
            read("LMOVE source destination <LEFT | RIGHT> <LEFT | RIGHT>"),
            (
                "source:key#0 destination:key#1 left_right:oneof(LEFT left:pure-token RIGHT right:pure-token) \
                 left_right:oneof(LEFT left:pure-token RIGHT right:pure-token)"
                    .into(),
                5
            )
        );
        assert_eq!(
            read("ZRANGEBYLEX key min max [LIMIT offset count]"),
            (
                "key:key#0 min:string max:string LIMIT offset_count:block?(offset:integer count:integer)".into(),
                -4
            )
        );
        assert_eq!(
            read("ZUNION numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>]").0,
            "numkeys:integer key:key#0* WEIGHTS weight:integer?* AGGREGATE sum_min_max:oneof?(SUM sum:pure-token \
             MIN min:pure-token MAX max:pure-token)"
        );
        assert_eq!(
            read("HELLO [protover [AUTH username password] [SETNAME clientname]]").0,
            "protover_username_password_clientname:block?(protover:integer AUTH username_password:block?\
             (username:string password:string) SETNAME clientname:string?)"
        );
    }

    #[test]
    fn a_repeated_keyword_is_a_multiple_token() {
        assert_eq!(
            read("SORT key [GET pattern [GET pattern ...]] [STORE destination]").0,
            "key:key#0 GET pattern:pattern?*+ STORE destination:key#1?"
        );
    }

    #[test]
    fn alternatives_of_different_lengths_make_the_arity_variable() {
        let (tree, arity) = read("OBJECT <ENCODING key | FREQ key | HELP>");
        assert_eq!(
            tree,
            "key_key_help:oneof(ENCODING key:key#0 FREQ key:key#0 HELP help:pure-token)"
        );
        assert_eq!(arity, -2);
        assert_eq!(
            read("CLIENT SETINFO <LIB-NAME libname | LIB-VER libver>").1,
            4
        );
        let client_kill = "CLIENT KILL <ip:port | <ID client-id | SKIPME yes/no> [ID client-id | SKIPME yes/no ...]>";
        let syntax = parse(client_kill).unwrap();
        assert_eq!(syntax.full_name(), "client|kill");
        assert_eq!(
            shape(&syntax.args),
            "ip:port_client-id_yes/no:oneof(ip:port:string client-id_yes/no:oneof*(ID client-id:integer \
             SKIPME yes/no:string))"
        );
        assert_eq!(syntax.arity(), -3);
    }

    #[test]
    fn types_can_be_set_by_name() {
        let mut syntax = parse("INCRBYFLOAT key increment").unwrap();
        assert!(syntax.set_type("increment", &Kind::Double));
        assert!(!syntax.set_type("nosuch", &Kind::Double));
        assert_eq!(shape(&syntax.args), "key:key#0 increment:double");
    }

    #[test]
    fn mistakes_are_reported() {
        for bad in [
            "",
            "lower case",
            "A B C",
            "GET [key",
            "GET key]",
            "GET <key ...>",
            "GET key [other ...]",
            "GET ... key",
            "GET [...]",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} parsed");
        }
    }
}
