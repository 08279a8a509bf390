//! What can go wrong with a rack on Redis, each case told apart, and URLs
//! shown without their passwords.

use std::fmt;
use std::time::Duration;

/// What can go wrong with a rack on Redis. Every URL an error holds has
/// had its password replaced by `***` (see [`redact`]).
#[derive(Debug)]
pub enum RackError {
    /// The URL is not a Redis URL (`redis://HOST:PORT/DB`).
    BadUrl {
        /// The URL as given, password hidden.
        url: String,
        /// Why the client rejected it.
        source: redis::RedisError,
    },
    /// Nothing listens at the URL's address: the connection was refused.
    Refused {
        /// The URL, password hidden.
        url: String,
    },
    /// Something accepted the connection but did not answer in time (a
    /// frozen or overloaded server, or a network that drops packets).
    NoAnswer {
        /// The URL, password hidden.
        url: String,
        /// How long we waited.
        after: Duration,
    },
    /// The address could not be reached for another reason (an unknown
    /// host name, no route, ...).
    Unreachable {
        /// The URL, password hidden.
        url: String,
        /// What the connection attempt reported.
        source: redis::RedisError,
    },
    /// The server wants a password and the URL gives none.
    PasswordNeeded {
        /// The URL, password hidden.
        url: String,
    },
    /// The server refused the user name or password in the URL.
    PasswordRefused {
        /// The URL, password hidden.
        url: String,
    },
    /// The server has no database with the URL's number.
    NoSuchDatabase {
        /// The URL, password hidden.
        url: String,
        /// The database number asked for.
        db: i64,
        /// What the server said.
        said: String,
    },
    /// A command got no reply in time (Python: redis-py's `TimeoutError`
    /// with `socket_timeout=`).
    NoReply {
        /// What we were doing, e.g. "taking a dish".
        doing: &'static str,
        /// How long we waited for the reply.
        after: Duration,
    },
    /// The connection broke while a command was on its way (the server
    /// stopped or restarted, or the network went away).
    ConnectionLost {
        /// What we were doing.
        doing: &'static str,
        /// What the connection reported.
        source: redis::RedisError,
    },
    /// A rack or dryer name that is empty or has characters other than
    /// letters, digits, `-` and `_`.
    BadName(String),
    /// A dryer of this name is signed in and still connected, so another
    /// one may not sign in under its name (it would take over its dishes).
    NameTaken {
        /// The dryer's name.
        dryer: String,
    },
    /// [`Rack::clear`](crate::Rack::clear) while dryers are signed in and
    /// connected.
    InUse {
        /// The rack.
        rack: String,
        /// The connected dryers.
        dryers: Vec<String>,
    },
    /// The rack's count of unfinished dishes is not on the server: nothing
    /// was ever put on the rack, or the server lost its data (a restart
    /// without saving). `join` refuses to call that "all dry".
    CountGone {
        /// The rack.
        rack: String,
    },
    /// `task_done` for a dish this dryer is not holding (Python raises
    /// `ValueError` when `task_done()` is called too many times).
    NotHolding {
        /// The dryer.
        dryer: String,
        /// The dish.
        dish: String,
    },
    /// Any other error the server reported.
    Redis {
        /// What we were doing.
        doing: &'static str,
        /// What the server said.
        source: redis::RedisError,
    },
}

impl fmt::Display for RackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RackError::BadUrl { url, source } => write!(f, "{url} is not a Redis URL: {source}"),
            RackError::Refused { url } => {
                write!(f, "no Redis server answers at {url}: connection refused")
            }
            RackError::NoAnswer { url, after } => write!(
                f,
                "the server at {url} accepted the connection but did not answer within {}",
                seconds(*after)
            ),
            RackError::Unreachable { url, source } => {
                write!(f, "cannot reach {url}: {source}")
            }
            RackError::PasswordNeeded { url } => write!(
                f,
                "the Redis server at {url} wants a password; give it in the URL: redis://:PASSWORD@HOST:PORT/"
            ),
            RackError::PasswordRefused { url } => write!(
                f,
                "the Redis server at {url} refused the user name or password in the URL"
            ),
            RackError::NoSuchDatabase { url, db, said } => {
                write!(f, "the Redis server at {url} has no database {db} ({said})")
            }
            RackError::NoReply { doing, after } => write!(
                f,
                "the server did not answer within {} while {doing} (frozen, overloaded or cut off?)",
                seconds(*after)
            ),
            RackError::ConnectionLost { doing, source } => {
                write!(
                    f,
                    "lost the connection to the server while {doing}: {source}"
                )
            }
            RackError::BadName(name) => write!(
                f,
                "{name:?} is not a good name: use letters, digits, '-' and '_'"
            ),
            RackError::NameTaken { dryer } => write!(
                f,
                "a dryer named {dryer} is signed in and still connected; stop it first \
                 (its dishes come back when it is gone) or give this one another --name"
            ),
            RackError::InUse { rack, dryers } => write!(
                f,
                "rack {rack} has dryers signed in and connected ({}); stop them before clearing it",
                dryers.join(", ")
            ),
            RackError::CountGone { rack } => write!(
                f,
                "rack {rack} has no count of unfinished dishes on the server: nothing was ever \
                 put on it, or the server lost its data (restarted without saving?)"
            ),
            RackError::NotHolding { dryer, dish } => {
                write!(f, "dryer {dryer} is not holding a {dish} dish")
            }
            RackError::Redis { doing, source } => write!(f, "Redis, while {doing}: {source}"),
        }
    }
}

/// `1.5 s`, `2 s`.
fn seconds(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

impl std::error::Error for RackError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RackError::BadUrl { source, .. }
            | RackError::Unreachable { source, .. }
            | RackError::ConnectionLost { source, .. }
            | RackError::Redis { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl RackError {
    /// What went wrong connecting to `url` (already redacted), told apart:
    /// refused, no answer, password, database, anything else.
    pub(crate) fn connecting(url: &str, db: i64, after: Duration, e: redis::RedisError) -> Self {
        let url = url.to_string();
        let detail = e.detail().unwrap_or("").to_string();
        if e.kind() == redis::ErrorKind::AuthenticationFailed || e.code() == Some("WRONGPASS") {
            RackError::PasswordRefused { url }
        } else if e.code() == Some("NOAUTH") || detail.contains("uthentication required") {
            RackError::PasswordNeeded { url }
        } else if detail.contains("DB index") {
            RackError::NoSuchDatabase {
                url,
                db,
                said: detail,
            }
        } else if e.is_connection_refusal() {
            RackError::Refused { url }
        } else if e.is_timeout() {
            RackError::NoAnswer { url, after }
        } else {
            RackError::Unreachable { url, source: e }
        }
    }

    /// What went wrong with a command sent while `doing` something, when
    /// replies may take `after`.
    pub(crate) fn command(doing: &'static str, after: Duration, e: redis::RedisError) -> Self {
        if e.is_timeout() {
            RackError::NoReply { doing, after }
        } else if e.is_io_error() || e.is_connection_dropped() {
            RackError::ConnectionLost { doing, source: e }
        } else {
            RackError::Redis { doing, source: e }
        }
    }

    /// Whether a server that is not running (or not reachable) is the
    /// likely cause, so "start one" is good advice.
    pub fn no_server(&self) -> bool {
        matches!(self, RackError::Refused { .. })
    }
}

/// `url` with its password replaced by `***`: in `user:password@` and in
/// `?pass=` / `?password=` (the forms the `redis` crate reads). Every
/// message of this crate shows URLs only this way.
pub fn redact(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let authority = match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{host}"),
            None => authority.to_string(),
        },
        None => authority.to_string(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let pairs: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if key == "pass" || key == "password" => format!("{key}=***"),
                    _ => pair.to_string(),
                })
                .collect();
            format!("{path}?{}", pairs.join("&"))
        }
        None => tail.to_string(),
    };
    if scheme.is_empty() {
        format!("{authority}{tail}")
    } else {
        format!("{scheme}://{authority}{tail}")
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_show() {
        for (url, shown) in [
            ("redis://127.0.0.1:6379/", "redis://127.0.0.1:6379/"),
            ("redis://:s3cret@host:1/2", "redis://:***@host:1/2"),
            ("redis://bob:s3:c@ret@host/", "bob:***@host/"),
            ("redis://bob@host/", "redis://bob@host/"),
            (
                "redis+unix:///run/r.sock?db=1&pass=s3cret",
                "redis+unix:///run/r.sock?db=1&pass=***",
            ),
            ("rediss://:p@h?x=1#f", "rediss://:***@h?x=1#f"),
        ] {
            let got = redact(url);
            assert!(got.ends_with(shown), "{url} -> {got}");
            assert!(!got.contains("s3cret") && !got.contains(":p@"), "{got}");
        }
    }
}
