//! The dish rack on Redis (chapter "Many kitchens: a rack on Redis").
//!
//! When the washer and the dryers run on different machines, the rack must
//! be a network service. Here it is a Redis list, used with the *reliable
//! queue* pattern, so that a dryer that dies holding a dish loses nothing:
//!
//! | key                   | what it holds                                         |
//! |-----------------------|-------------------------------------------------------|
//! | `RACK:rack`           | the dishes waiting, oldest first (a list)             |
//! | `RACK:drying:DRYER`   | the dishes dryer `DRYER` has taken and not yet dried   |
//! | `RACK:unfinished`     | dishes put and not yet marked done (a counter)        |
//! | `RACK:dried`          | every dish marked done, in that order (a log)         |
//! | `RACK:done`           | a wake-up token for [`Rack::join`] (a list)           |
//!
//! - [`Rack::put`] pushes a dish and counts it, in one transaction
//!   (Python: `JoinableQueue.put`).
//! - [`Dryer::get`] moves the oldest dish from the rack to the dryer's own
//!   `drying` list with the blocking `BLMOVE`, in one atomic step, so the
//!   dish is always in exactly one list (Python: `get(timeout=...)`).
//! - [`Dryer::task_done`] removes the dish from the `drying` list, logs it
//!   and counts it done, atomically (Python: `task_done()`).
//! - [`Rack::join`] waits until the count reaches zero (Python: `join()`).
//! - [`Rack::reap`] puts back the dishes of dryers that are gone: a dryer is
//!   gone when no connection to Redis carries its name any more.

/// The Redis client this crate is built on (for readers and exercises that
/// talk to Redis directly).
pub use redis;

use std::collections::BTreeSet;
use std::fmt;
use std::time::{Duration, Instant};

use redis::{Commands, Connection, Direction};

/// How long [`Rack::connect`] and [`Dryer::sign_in`] try to reach the server.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// What can go wrong with a rack on Redis.
#[derive(Debug)]
pub enum RackError {
    /// The URL is not a Redis URL (`redis://HOST:PORT/DB`).
    BadUrl {
        /// The URL as given.
        url: String,
        /// Why the client rejected it.
        source: redis::RedisError,
    },
    /// No Redis server answered at the URL.
    Unreachable {
        /// The URL as given.
        url: String,
        /// What the connection attempt reported.
        source: redis::RedisError,
    },
    /// A rack or dryer name that is empty or has characters other than
    /// letters, digits, `-` and `_`.
    BadName(String),
    /// `task_done` for a dish this dryer is not holding (Python raises
    /// `ValueError` when `task_done()` is called too many times).
    NotHolding {
        /// The dryer.
        dryer: String,
        /// The dish.
        dish: String,
    },
    /// Any other error the server or the connection reported.
    Redis(redis::RedisError),
}

impl fmt::Display for RackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RackError::BadUrl { url, source } => write!(f, "{url} is not a Redis URL: {source}"),
            RackError::Unreachable { url, source } => {
                write!(f, "no Redis server answers at {url}: {source}")
            }
            RackError::BadName(name) => write!(
                f,
                "{name:?} is not a good name: use letters, digits, '-' and '_'"
            ),
            RackError::NotHolding { dryer, dish } => {
                write!(f, "dryer {dryer} is not holding a {dish} dish")
            }
            RackError::Redis(e) => write!(f, "Redis: {e}"),
        }
    }
}

impl std::error::Error for RackError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RackError::BadUrl { source, .. }
            | RackError::Unreachable { source, .. }
            | RackError::Redis(source) => Some(source),
            RackError::BadName(_) | RackError::NotHolding { .. } => None,
        }
    }
}

impl From<redis::RedisError> for RackError {
    fn from(e: redis::RedisError) -> Self {
        RackError::Redis(e)
    }
}

/// Checks a rack or dryer name: letters, digits, `-` and `_`.
pub fn check_name(name: &str) -> Result<String, RackError> {
    let good = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if good {
        Ok(name.to_string())
    } else {
        Err(RackError::BadName(name.to_string()))
    }
}

/// Checks that `url` is a Redis URL, without connecting.
pub fn check_url(url: &str) -> Result<String, RackError> {
    redis::Client::open(url)
        .map(|_| url.to_string())
        .map_err(|source| RackError::BadUrl {
            url: url.to_string(),
            source,
        })
}

/// A connection to the server at `url`, and the number of its database.
fn connect(url: &str) -> Result<(Connection, i64), RackError> {
    let client = redis::Client::open(url).map_err(|source| RackError::BadUrl {
        url: url.to_string(),
        source,
    })?;
    let db = client.get_connection_info().redis_settings().db();
    let conn = client
        .get_connection_with_timeout(CONNECT_TIMEOUT)
        .map_err(|source| RackError::Unreachable {
            url: url.to_string(),
            source,
        })?;
    Ok((conn, db))
}

/// What is where, for [`Rack::status`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Status {
    /// Dishes on the rack, oldest first.
    pub rack: Vec<String>,
    /// Each dryer holding dishes, with those dishes.
    pub drying: Vec<(String, Vec<String>)>,
    /// Dishes put and not yet marked done.
    pub unfinished: i64,
    /// Dishes marked done, in that order.
    pub dried: Vec<String>,
}

/// A named rack on a Redis server, as the washer, a reaper or an onlooker
/// sees it. (Python: a `JoinableQueue` that lives on a server; with
/// redis-py, `redis.Redis.from_url(url)` and a key name.)
pub struct Rack {
    conn: Connection,
    db: i64,
    name: String,
}

impl Rack {
    /// Connects to the server at `url` (`redis://HOST:PORT/DB`) and uses
    /// the rack called `name`.
    pub fn connect(url: &str, name: &str) -> Result<Rack, RackError> {
        let name = check_name(name)?;
        let (conn, db) = connect(url)?;
        Ok(Rack { conn, db, name })
    }

    fn key(&self, part: &str) -> String {
        format!("{}:{part}", self.name)
    }

    /// Puts `dish` at the back of the rack and counts it unfinished, in one
    /// transaction. (Python: `rack.put(dish)`.)
    pub fn put(&mut self, dish: &str) -> Result<(), RackError> {
        redis::pipe()
            .atomic()
            .rpush(self.key("rack"), dish)
            .ignore()
            .incr(self.key("unfinished"), 1)
            .ignore()
            .exec(&mut self.conn)?;
        Ok(())
    }

    /// Waits until every dish put so far has been marked done, at most
    /// `timeout` (`None`: for as long as it takes). Returns whether it got
    /// there. (Python: `rack.join()`, which has no timeout.)
    pub fn join(&mut self, timeout: Option<Duration>) -> Result<bool, RackError> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut took_token = false;
        loop {
            let unfinished: Option<i64> = self.conn.get(self.key("unfinished"))?;
            if unfinished.unwrap_or(0) <= 0 {
                if took_token {
                    // Pass the token on to anyone else joining.
                    let _: () = self.conn.rpush(self.key("done"), "done")?;
                }
                return Ok(true);
            }
            // BLPOP waits for the token the last `task_done` pushes; 0 means
            // "wait forever" to Redis.
            let wait = match deadline {
                None => 0.0,
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => left.as_secs_f64().max(0.001),
                    _ => return Ok(false),
                },
            };
            let token: Option<(String, String)> = self.conn.blpop(self.key("done"), wait)?;
            took_token |= token.is_some();
        }
    }

    /// Puts back on the rack every dish held by a dryer that is gone (no
    /// connection carries its name), front first, so those dishes are the
    /// next ones taken. Returns `(dryer, dish)` for each dish put back.
    pub fn reap(&mut self) -> Result<Vec<(String, String)>, RackError> {
        let live = self.live_dryers()?;
        let mut put_back = Vec::new();
        for (dryer, key) in self.drying_lists()? {
            if live.contains(&dryer) {
                continue;
            }
            // One dish per LMOVE: each is always in exactly one list.
            while let Some(dish) = self.conn.lmove::<_, _, Option<String>>(
                &key,
                self.key("rack"),
                Direction::Right,
                Direction::Left,
            )? {
                put_back.push((dryer.clone(), dish));
            }
        }
        Ok(put_back)
    }

    /// The names of the dryers of this rack that are connected now. (A
    /// server has many databases, each with its own keys, so the same rack
    /// name can be used in several: only this database's clients count.)
    fn live_dryers(&mut self) -> Result<BTreeSet<String>, RackError> {
        // One line per connection: `id=7 addr=... name=dryer:kitchen:A db=0 ...`
        let list: String = redis::cmd("CLIENT").arg("LIST").query(&mut self.conn)?;
        let (prefix, db) = (format!("dryer:{}:", self.name), format!("db={}", self.db));
        Ok(list
            .lines()
            .filter(|line| line.split_whitespace().any(|field| field == db))
            .flat_map(str::split_whitespace)
            .filter_map(|field| field.strip_prefix("name=")?.strip_prefix(&prefix))
            .map(str::to_string)
            .collect())
    }

    /// `(dryer, key)` of each dryer's `drying` list, sorted by dryer.
    fn drying_lists(&mut self) -> Result<Vec<(String, String)>, RackError> {
        let prefix = self.key("drying:");
        let keys: Vec<String> = self
            .conn
            .scan_match::<_, String>(format!("{prefix}*"))?
            .collect::<Result<_, _>>()?;
        let mut lists: Vec<(String, String)> = keys
            .into_iter()
            .filter_map(|key| Some((key.strip_prefix(&prefix)?.to_string(), key)))
            .collect();
        lists.sort();
        lists.dedup(); // SCAN may name a key twice
        Ok(lists)
    }

    /// What is on the rack, in each dryer's hands, unfinished and dried.
    pub fn status(&mut self) -> Result<Status, RackError> {
        let mut drying = Vec::new();
        for (dryer, key) in self.drying_lists()? {
            drying.push((dryer, self.conn.lrange(key, 0, -1)?));
        }
        let unfinished: Option<i64> = self.conn.get(self.key("unfinished"))?;
        Ok(Status {
            rack: self.conn.lrange(self.key("rack"), 0, -1)?,
            drying,
            unfinished: unfinished.unwrap_or(0),
            dried: self.conn.lrange(self.key("dried"), 0, -1)?,
        })
    }

    /// Deletes every key of this rack: an empty rack, nothing unfinished.
    pub fn clear(&mut self) -> Result<(), RackError> {
        let mut keys: Vec<String> = self.drying_lists()?.into_iter().map(|(_, k)| k).collect();
        keys.extend(["rack", "unfinished", "dried", "done"].map(|k| self.key(k)));
        let _: () = self.conn.del(keys)?;
        Ok(())
    }
}

// ANCHOR: task_done
/// Marks a dish done, atomically, only if this dryer holds it; the last
/// one leaves a single wake-up token for `join`.
const TASK_DONE: &str = r"
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[1])
if redis.call('DECR', KEYS[3]) <= 0 then
  redis.call('DEL', KEYS[4])
  redis.call('RPUSH', KEYS[4], 'done')
end
return 1
";
// ANCHOR_END: task_done

/// A dryer at a rack on Redis: it takes dishes into its own `drying` list
/// and marks them done. (Python: the consumer side of a `JoinableQueue`.)
pub struct Dryer {
    conn: Connection,
    rack: String,
    name: String,
}

impl Dryer {
    /// Connects to the rack `rack` at `url` as the dryer `name`, names the
    /// connection after it (that is how [`Rack::reap`] knows it is alive),
    /// and puts back any dish an earlier dryer of that name left in its
    /// hands. Returns the dryer and the dishes put back. Give every
    /// dryer that runs at the same time its own name.
    pub fn sign_in(url: &str, rack: &str, name: &str) -> Result<(Dryer, Vec<String>), RackError> {
        let (rack, name) = (check_name(rack)?, check_name(name)?);
        let mut dryer = Dryer {
            conn: connect(url)?.0,
            rack,
            name,
        };
        let _: () = dryer
            .conn
            .client_setname(format!("dryer:{}:{}", dryer.rack, dryer.name))?;
        let mut put_back = Vec::new();
        while let Some(dish) = dryer.conn.lmove::<_, _, Option<String>>(
            dryer.drying_key(),
            format!("{}:rack", dryer.rack),
            Direction::Right,
            Direction::Left,
        )? {
            put_back.push(dish);
        }
        Ok((dryer, put_back))
    }

    /// This dryer's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn drying_key(&self) -> String {
        format!("{}:drying:{}", self.rack, self.name)
    }

    // ANCHOR: get
    /// Takes the oldest dish off the rack into this dryer's hands, waiting
    /// at most `timeout` for one (`Duration::ZERO`: not at all). `None`
    /// when the rack stayed empty. (Python: `rack.get(timeout=...)`,
    /// which raises `queue.Empty` instead.)
    pub fn get(&mut self, timeout: Duration) -> Result<Option<String>, RackError> {
        let (from, to) = (format!("{}:rack", self.rack), self.drying_key());
        let dish = if timeout.is_zero() {
            self.conn
                .lmove(from, to, Direction::Left, Direction::Right)?
        } else {
            // Redis reads 0 as "forever", so never round down to 0.
            let seconds = timeout.as_secs_f64().max(0.001);
            self.conn
                .blmove(from, to, Direction::Left, Direction::Right, seconds)?
        };
        Ok(dish)
    }

    // ANCHOR_END: get

    /// Says `dish`, taken with [`Dryer::get`], is dry: it leaves this
    /// dryer's hands, goes into the dried log, and the unfinished count
    /// goes down, all at once. (Python: `rack.task_done()`.)
    pub fn task_done(&mut self, dish: &str) -> Result<(), RackError> {
        let done: i64 = redis::cmd("EVAL")
            .arg(TASK_DONE)
            .arg(4)
            .arg(self.drying_key())
            .arg(format!("{}:dried", self.rack))
            .arg(format!("{}:unfinished", self.rack))
            .arg(format!("{}:done", self.rack))
            .arg(dish)
            .query(&mut self.conn)?;
        if done == 1 {
            Ok(())
        } else {
            Err(RackError::NotHolding {
                dryer: self.name.clone(),
                dish: dish.to_string(),
            })
        }
    }
}
