//! `AUTH`: telling the server who this connection is.
//!
//! Go original: none (go-redis had no passwords). Explained in: book chapters "Talking to real
//! clients", "Who may do what" and "Exercises" (ex17).
//!
//! A connection starts as the `default` user, logged in already unless `default` has a password
//! (`requirepass`). `AUTH` switches it to another user, or logs `default` in. The check itself
//! (the user exists, is `on`, and the password hashes to one of the user's digests) lives in
//! [`acl::authenticate`], which `HELLO … AUTH` shares; this command reads its two forms and says
//! what Redis says about each.

use crate::commands::acl;
use crate::commands::registry::{NO_KEYS, flags::*};
use crate::commands::{ClientContext, Registry, Shared};
use crate::protocol::resp::Value;

/// Registers `AUTH`. `NO_AUTH`: a connection that has not logged in may send it, or it never
/// could.
pub fn register(r: &mut Registry) {
    r.client(
        "auth",
        auth,
        -2,
        FAST | NO_AUTH | NOSCRIPT | LOADING | STALE,
        NO_KEYS,
    );
}

// ANCHOR: auth
/// `AUTH [username] password`.
pub fn auth(shared: &Shared, client: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    let (user, pass): (&[u8], &[u8]) = match args {
        [pass] => {
            // The old form names no user: it is for `default`, and means something only once
            // `default` has a password.
            if shared.acl.default_user().nopass {
                return Value::error(
                    "ERR AUTH <password> called without any password configured for the default \
                     user. Are you sure your configuration is correct?",
                );
            }
            (b"default", pass)
        }
        [user, pass] => (user, pass),
        _ => return Value::syntax_error(),
    };
    // One answer for an unknown user, a disabled one and a wrong password, so a client cannot
    // learn which users exist. The ACL logs the failure under the command's name.
    match acl::authenticate(shared, client, user, pass, b"AUTH") {
        Ok(()) => Value::OK,
        Err(e) => e,
    }
}
// ANCHOR_END: auth
