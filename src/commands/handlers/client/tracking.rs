//! `CLIENT TRACKING`, `CLIENT CACHING`, `CLIENT TRACKINGINFO`, `CLIENT GETREDIR`: client-side
//! caching's commands.
//!
//! Go original: none (go-redis had no client-side caching). Explained in: book "Talking to real
//! clients", "Client-side caching".
//!
//! The handlers read the options and give Redis's errors; the table, and the reasoning about
//! where invalidations are sent from, live in `commands::tracking`.

use crate::commands::tracking::Options;
use crate::commands::{ClientContext, Shared};
use crate::protocol::resp::Value;

// ANCHOR: client_tracking
/// `CLIENT TRACKING on|off [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]`.
/// The options are read first, whether turning tracking on or off, as Redis reads them; the
/// client to redirect to must exist now (it may go away later: then the tracker learns of it).
pub fn tracking(shared: &Shared, client: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    let mut redirect = 0;
    let mut options = Options::default();
    let mut prefixes = Vec::new();
    let mut i = 1;
    while i < args.len() {
        let more = i + 1 < args.len();
        let opt = args[i].to_ascii_lowercase();
        match opt.as_slice() {
            b"redirect" if more => {
                i += 1;
                if redirect != 0 {
                    return Value::error("ERR A client can only redirect to a single other client");
                }
                let Some(id) = super::parse_i64(&args[i]) else {
                    return Value::not_integer();
                };
                if u64::try_from(id).map_or(true, |id| shared.clients.get(id).is_none()) {
                    return Value::error("ERR The client ID you want redirect to does not exist");
                }
                redirect = id as u64;
            }
            b"bcast" => options.bcast = true,
            b"optin" => options.optin = true,
            b"optout" => options.optout = true,
            b"noloop" => options.noloop = true,
            b"prefix" if more => {
                i += 1;
                prefixes.push(args[i].clone());
            }
            _ => return Value::syntax_error(),
        }
        i += 1;
    }
    match args[0].to_ascii_lowercase().as_slice() {
        b"on" => match shared
            .tracking
            .enable(shared, client, redirect, options, &prefixes)
        {
            Ok(()) => Value::OK,
            Err(e) => e,
        },
        b"off" => {
            shared.tracking.disable(client);
            Value::OK
        }
        _ => Value::syntax_error(),
    }
}
// ANCHOR_END: client_tracking

/// `CLIENT CACHING yes|no`: in `OPTIN` mode, remember the keys of the next command (or
/// transaction); in `OPTOUT` mode, do not.
pub fn caching(shared: &Shared, client: &mut ClientContext, arg: &[u8]) -> Value {
    let Some(options) = shared.tracking.options(client) else {
        return Value::error(
            "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN \
             or OPTOUT mode enabled",
        );
    };
    match arg.to_ascii_lowercase().as_slice() {
        b"yes" if options.optin => client.caching = true,
        b"yes" => {
            return Value::error(
                "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
            );
        }
        b"no" if options.optout => client.caching = true,
        b"no" => {
            return Value::error(
                "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
            );
        }
        _ => return Value::syntax_error(),
    }
    Value::OK
}

/// `CLIENT TRACKINGINFO`: the flags, the redirection and the prefixes, as a map.
pub fn trackinginfo(shared: &Shared, client: &ClientContext) -> Value {
    let (flags, redirect, prefixes) = shared.tracking.info(client);
    Value::Map(vec![
        (
            Value::bulk("flags"),
            Value::Set(flags.into_iter().map(Value::bulk).collect()),
        ),
        (Value::bulk("redirect"), Value::Integer(redirect)),
        (Value::bulk("prefixes"), Value::bulk_array(prefixes)),
    ])
}

/// `CLIENT GETREDIR`: the id invalidations are redirected to, 0 for none, -1 with tracking off.
pub fn getredir(shared: &Shared, client: &ClientContext) -> Value {
    Value::Integer(shared.tracking.info(client).1)
}
