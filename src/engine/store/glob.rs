//! Redis glob-style pattern matching, for `KEYS`, `SCAN MATCH`, `PSUBSCRIBE` and `CONFIG GET`.
//!
//! Go original: `internal/engine/store/glob.go`. Explained in: book chapter 4.

/// True if `text` matches the Redis glob `pattern` (`*`, `?`, `[abc]`, `[^a]`, `[a-z]`, `\x`).
pub fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    // Placeholder: `*` and exact matches only; completed with the key commands.
    pattern == b"*" || pattern == text
}
