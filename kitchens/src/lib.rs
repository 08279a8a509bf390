//! The dish rack on Redis (chapter "Many kitchens: a rack on Redis").
//!
//! When the washer and the dryers run on different machines, the rack must
//! be a network service. Here it is a Redis list, used with the *reliable
//! queue* pattern, so that a dryer that dies holding a dish loses nothing:
//!
//! | key                   | what it holds                                          |
//! |-----------------------|--------------------------------------------------------|
//! | `RACK:rack`           | the dishes waiting, oldest first (a list)              |
//! | `RACK:drying:DRYER`   | the dishes dryer `DRYER` has taken and not yet dried    |
//! | `RACK:dryers`         | for each signed-in dryer, its connection (a hash)      |
//! | `RACK:unfinished`     | dishes put and not yet marked done (a counter)         |
//! | `RACK:dried`          | every dish marked done, in that order (a log)          |
//! | `RACK:dried-by`       | how many dishes each dryer marked done (a hash)        |
//! | `RACK:done`           | a wake-up token for [`Rack::join`] (a list)            |
//!
//! - [`Rack::put`] pushes a dish and counts it, in one transaction
//!   (Python: `JoinableQueue.put`).
//! - [`Dryer::sign_in`] records the dryer's connection under its name.
//! - [`Dryer::get`] moves the oldest dish from the rack to the dryer's own
//!   `drying` list with the blocking `BLMOVE`, in one atomic step, so the
//!   dish is always in exactly one list (Python: `get(timeout=...)`).
//! - [`Dryer::task_done`] removes the dish from the `drying` list, logs it
//!   and counts it done, atomically (Python: `task_done()`).
//! - [`Rack::join`] waits until the count reaches zero (Python: `join()`).
//! - [`Rack::reap`] puts back the dishes of dryers whose connection is gone.
//!
//! Every connection has a time limit for connecting and for each reply
//! ([`SERVER_TIMEOUT`] unless given), so a frozen or unreachable server is
//! an error that says what was being done, never a hang.

/// The Redis client this crate is built on (for readers and exercises that
/// talk to Redis directly).
pub use redis;

mod error;

pub use error::{RackError, redact};

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use redis::{Commands, Connection, Direction, RedisResult};

/// How long connecting, and then each reply, may take unless the caller
/// says otherwise. (Python: redis-py's `socket_connect_timeout` and
/// `socket_timeout`, which are unlimited by default.)
pub const SERVER_TIMEOUT: Duration = Duration::from_secs(5);

/// A blocking take or `join` waits on the server at most this long per
/// command, so that a server that freezes while a client waits is noticed
/// within this plus the reply time limit.
pub const BLOCK_CHUNK: Duration = Duration::from_secs(1);

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

/// Checks that `url` is a Redis URL, without connecting. The error shows
/// the URL without its password.
pub fn check_url(url: &str) -> Result<String, RackError> {
    redis::Client::open(url)
        .map(|_| url.to_string())
        .map_err(|source| RackError::BadUrl {
            url: redact(url),
            source,
        })
}

/// One connection with time limits, and the identity of the server run it
/// talks to.
struct Link {
    conn: Connection,
    /// The server's `run_id` (`INFO server`): new at every server start.
    run_id: String,
    /// The time limit for connecting and for each reply.
    wait: Duration,
}

impl Link {
    fn open(url: &str, wait: Duration) -> Result<Link, RackError> {
        let wait = wait.max(Duration::from_millis(1));
        let shown = redact(url);
        let client = redis::Client::open(url).map_err(|source| RackError::BadUrl {
            url: shown.clone(),
            source,
        })?;
        let db = client.get_connection_info().redis_settings().db();
        let failed = |e| RackError::connecting(&shown, db, wait, e);
        let mut conn = client.get_connection_with_timeout(wait).map_err(failed)?;
        conn.set_read_timeout(Some(wait)).map_err(failed)?;
        conn.set_write_timeout(Some(wait)).map_err(failed)?;
        // The first command also shows whether the server wants a password.
        let info: String = redis::cmd("INFO")
            .arg("server")
            .query(&mut conn)
            .map_err(failed)?;
        let run_id = info
            .lines()
            .find_map(|line| line.strip_prefix("run_id:"))
            .unwrap_or("")
            .trim()
            .to_string();
        Ok(Link { conn, run_id, wait })
    }

    /// Runs `f`, turning its error into one that says what we were `doing`.
    fn run<T>(
        &mut self,
        doing: &'static str,
        f: impl FnOnce(&mut Connection) -> RedisResult<T>,
    ) -> Result<T, RackError> {
        f(&mut self.conn).map_err(|e| RackError::command(doing, self.wait, e))
    }

    /// Like [`Link::run`] for a command the server holds up to `block`
    /// before it replies: the reply may take that much longer.
    fn blocking<T>(
        &mut self,
        block: Duration,
        doing: &'static str,
        f: impl FnOnce(&mut Connection) -> RedisResult<T>,
    ) -> Result<T, RackError> {
        let limit = block + self.wait;
        let fail = |e| RackError::command(doing, limit, e);
        self.conn.set_read_timeout(Some(limit)).map_err(fail)?;
        let reply = f(&mut self.conn).map_err(fail);
        self.conn.set_read_timeout(Some(self.wait)).map_err(fail)?;
        reply
    }

    /// This connection's record: `RUN_ID:CLIENT_ID`. Client ids are never
    /// repeated within one server run (Redis docs, `CLIENT ID`); the run id
    /// tells runs apart.
    fn record(&mut self) -> Result<String, RackError> {
        let id: i64 = self.run("signing in", |c| redis::cmd("CLIENT").arg("ID").query(c))?;
        Ok(format!("{}:{id}", self.run_id))
    }

    /// Whether the connection with `record` is closed, or closes within
    /// `grace` (asking the server every few milliseconds).
    fn closes_within(&mut self, record: &str, grace: Duration) -> Result<bool, RackError> {
        let deadline = Instant::now() + grace;
        while self.open_connections()?.contains(record) {
            if Instant::now() >= deadline {
                return Ok(false);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(true)
    }

    /// The records of every connection open now, in any database.
    fn open_connections(&mut self) -> Result<BTreeSet<String>, RackError> {
        // One line per connection: `id=7 addr=... name=dryer:kitchen:A db=0 ...`
        let list: String = self.run("listing connections", |c| {
            redis::cmd("CLIENT").arg("LIST").query(c)
        })?;
        Ok(list
            .lines()
            .filter_map(|line| line.split_whitespace().next()?.strip_prefix("id="))
            .map(|id| format!("{}:{id}", self.run_id))
            .collect())
    }
}

/// Seconds for a Redis timeout argument, where 0 means "forever": never
/// rounded down to 0.
fn redis_seconds(d: Duration) -> f64 {
    d.as_secs_f64().max(0.001)
}

/// What is where, for [`Rack::status`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Status {
    /// Dishes on the rack, oldest first.
    pub rack: Vec<String>,
    /// Each dryer holding dishes, with those dishes, sorted by dryer.
    pub drying: Vec<(String, Vec<String>)>,
    /// Dishes put and not yet marked done; `None` when the count is not
    /// on the server (see [`RackError::CountGone`]).
    pub unfinished: Option<i64>,
    /// Dishes marked done, in that order.
    pub dried: Vec<String>,
    /// How many dishes each dryer marked done, sorted by dryer.
    pub dried_by: Vec<(String, i64)>,
}

/// A point between the steps of [`Rack::reap`], where
/// [`Rack::reap_pausing`] lets a test make other clients act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReapStep {
    /// The reaper has read which connection each dryer signed in with.
    RecordsRead,
    /// The reaper has also listed the connections open now.
    ConnectionsListed,
}

// ANCHOR: hand_back
/// Puts a dryer's dishes back at the front of the rack (oldest first) and
/// replaces its record, in one step, but only if its record is still the
/// one the caller saw. Returns the dishes, or nil if the record changed.
const HAND_BACK: &str = r"
local record = redis.call('HGET', KEYS[1], ARGV[1]) or ''
if record ~= ARGV[2] then return false end
local back = {}
while true do
  local dish = redis.call('LMOVE', KEYS[2], KEYS[3], 'RIGHT', 'LEFT')
  if not dish then break end
  table.insert(back, 1, dish)
end
if ARGV[3] == '' then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
end
return back
";
// ANCHOR_END: hand_back

/// Runs [`HAND_BACK`] for dryer `dryer` of rack `rack`: `seen` is the
/// record the caller read (`""`: none), `new` the record to leave (`""`:
/// none). `None` if the record had changed.
fn hand_back(
    link: &mut Link,
    rack: &str,
    dryer: &str,
    seen: &str,
    new: &str,
) -> Result<Option<Vec<String>>, RackError> {
    link.run("putting dishes back", |c| {
        redis::cmd("EVAL")
            .arg(HAND_BACK)
            .arg(3)
            .arg(format!("{rack}:dryers"))
            .arg(format!("{rack}:drying:{dryer}"))
            .arg(format!("{rack}:rack"))
            .arg(dryer)
            .arg(seen)
            .arg(new)
            .query(c)
    })
}

/// A named rack on a Redis server, as the washer, a reaper or an onlooker
/// sees it. (Python: a `JoinableQueue` that lives on a server; with
/// redis-py, `redis.Redis.from_url(url)` and a key name.)
pub struct Rack {
    link: Link,
    name: String,
}

impl Rack {
    /// Connects to the server at `url` (`redis://HOST:PORT/DB`) and uses
    /// the rack called `name`, with the time limit [`SERVER_TIMEOUT`].
    pub fn connect(url: &str, name: &str) -> Result<Rack, RackError> {
        Rack::connect_waiting(url, name, SERVER_TIMEOUT)
    }

    /// [`Rack::connect`], waiting at most `wait` to connect and for each
    /// reply.
    pub fn connect_waiting(url: &str, name: &str, wait: Duration) -> Result<Rack, RackError> {
        let name = check_name(name)?;
        Ok(Rack {
            link: Link::open(url, wait)?,
            name,
        })
    }

    fn key(&self, part: &str) -> String {
        format!("{}:{part}", self.name)
    }

    /// Puts `dish` at the back of the rack and counts it unfinished, in one
    /// transaction. (Python: `rack.put(dish)`.)
    pub fn put(&mut self, dish: &str) -> Result<(), RackError> {
        let (rack, unfinished) = (self.key("rack"), self.key("unfinished"));
        self.link.run("putting a dish on the rack", |c| {
            redis::pipe()
                .atomic()
                .rpush(rack, dish)
                .ignore()
                .incr(unfinished, 1)
                .ignore()
                .exec(c)
        })
    }

    /// Waits until every dish put so far has been marked done, at most
    /// `timeout` (`None`: for as long as it takes). Returns whether it got
    /// there. An error, never `true`, when the count is not on the server
    /// ([`RackError::CountGone`]). (Python: `rack.join()`, which has no
    /// timeout.)
    pub fn join(&mut self, timeout: Option<Duration>) -> Result<bool, RackError> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let (unfinished, done) = (self.key("unfinished"), self.key("done"));
        let mut took_token = false;
        loop {
            let left: Option<i64> = self
                .link
                .run("reading the unfinished count", |c| c.get(&unfinished))?;
            match left {
                None => {
                    return Err(RackError::CountGone {
                        rack: self.name.clone(),
                    });
                }
                Some(n) if n <= 0 => {
                    if took_token {
                        // Pass the token on to anyone else joining.
                        let _: () = self
                            .link
                            .run("passing the done token on", |c| c.rpush(&done, "done"))?;
                    }
                    return Ok(true);
                }
                Some(_) => {}
            }
            // BLPOP waits for the token the last `task_done` pushes.
            let block = match deadline {
                None => BLOCK_CHUNK,
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => left.min(BLOCK_CHUNK),
                    _ => return Ok(false),
                },
            };
            let token: Option<(String, String)> =
                self.link
                    .blocking(block, "waiting for the last dish", |c| {
                        c.blpop(&done, redis_seconds(block))
                    })?;
            took_token |= token.is_some();
        }
    }

    // ANCHOR: reap
    /// Puts back on the rack every dish held by a dryer whose connection is
    /// gone, front first, so those dishes are the next ones taken. Returns
    /// `(dryer, dish)` for each dish put back.
    pub fn reap(&mut self) -> Result<Vec<(String, String)>, RackError> {
        self.reap_pausing(|_| {})
    }

    /// [`Rack::reap`], calling `pause` between its steps, so that a test can
    /// make other clients act at exactly those points.
    ///
    /// Why no live dryer's dish is put back: the steps run in this order
    /// on this one connection, and Redis serves one connection's commands
    /// in the order sent, each after the last has taken effect.
    ///
    /// 1. Read each dryer's record: the connection it signed in with. A
    ///    record was written by that connection before this read.
    /// 2. List the connections open *now*. A recorded connection missing
    ///    from the list has closed since it wrote its record, and a closed
    ///    connection runs no command again (ids are never reused), so no
    ///    dish can enter its `drying` list any more.
    /// 3. For each such dryer, move its dishes back and delete its record
    ///    in one script, which first checks that the record is still the
    ///    one read in step 1: a new dryer that signed in under that name
    ///    in the meantime has replaced it, and keeps its dishes.
    ///
    /// A dryer that signs in after step 1 is not among the records read,
    /// so it cannot look dead. In the other order (list first, then read
    /// records), a dryer that signed in between the two looks dead.
    pub fn reap_pausing(
        &mut self,
        mut pause: impl FnMut(ReapStep),
    ) -> Result<Vec<(String, String)>, RackError> {
        let records = self.records()?;
        pause(ReapStep::RecordsRead);
        let open = self.link.open_connections()?;
        pause(ReapStep::ConnectionsListed);
        let mut put_back = Vec::new();
        for (dryer, record) in records {
            if open.contains(&record) {
                continue;
            }
            if let Some(dishes) = hand_back(&mut self.link, &self.name, &dryer, &record, "")? {
                put_back.extend(dishes.into_iter().map(|dish| (dryer.clone(), dish)));
            }
        }
        Ok(put_back)
    }
    // ANCHOR_END: reap

    /// `(dryer, record)` of every signed-in dryer, sorted by dryer.
    fn records(&mut self) -> Result<Vec<(String, String)>, RackError> {
        let key = self.key("dryers");
        let mut records: Vec<(String, String)> =
            self.link.run("reading who signed in", |c| c.hgetall(key))?;
        records.sort();
        Ok(records)
    }

    /// The dryers signed in whose connection is open now, sorted.
    pub fn connected_dryers(&mut self) -> Result<Vec<String>, RackError> {
        let records = self.records()?;
        let open = self.link.open_connections()?;
        Ok(records
            .into_iter()
            .filter(|(_, record)| open.contains(record))
            .map(|(dryer, _)| dryer)
            .collect())
    }

    /// Waits until the server no longer lists the connection dryer `dryer`
    /// signed in with (it may take a moment to notice that a killed
    /// process's socket closed), at most `timeout`. Returns whether it got
    /// there; `true` at once if no dryer of that name is signed in.
    pub fn wait_until_disconnected(
        &mut self,
        dryer: &str,
        timeout: Duration,
    ) -> Result<bool, RackError> {
        let key = self.key("dryers");
        let record: Option<String> = self
            .link
            .run("reading who signed in", |c| c.hget(key, dryer))?;
        match record {
            None => Ok(true),
            Some(record) => self.link.closes_within(&record, timeout),
        }
    }

    /// `(dryer, key)` of each dryer's `drying` list, sorted by dryer.
    fn drying_lists(&mut self) -> Result<Vec<(String, String)>, RackError> {
        let prefix = self.key("drying:");
        let keys: Vec<String> = self.link.run("listing the dryers' hands", |c| {
            c.scan_match::<_, String>(format!("{prefix}*"))?.collect()
        })?;
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
            drying.push((
                dryer,
                self.link.run("reading hands", |c| c.lrange(key, 0, -1))?,
            ));
        }
        let keys = ["rack", "unfinished", "dried", "dried-by"].map(|k| self.key(k));
        let unfinished = self.link.run("reading the count", |c| c.get(&keys[1]))?;
        let mut dried_by: Vec<(String, i64)> = self
            .link
            .run("reading the tally", |c| c.hgetall(&keys[3]))?;
        dried_by.sort();
        Ok(Status {
            rack: self
                .link
                .run("reading the rack", |c| c.lrange(&keys[0], 0, -1))?,
            drying,
            unfinished,
            dried: self
                .link
                .run("reading the log", |c| c.lrange(&keys[2], 0, -1))?,
            dried_by,
        })
    }

    /// Deletes every key of this rack and starts a fresh count at zero: an
    /// empty rack, nothing unfinished. Refused while a dryer is signed in
    /// and connected ([`RackError::InUse`]).
    pub fn clear(&mut self) -> Result<(), RackError> {
        let dryers = self.connected_dryers()?;
        if !dryers.is_empty() {
            return Err(RackError::InUse {
                rack: self.name.clone(),
                dryers,
            });
        }
        let mut keys: Vec<String> = self.drying_lists()?.into_iter().map(|(_, k)| k).collect();
        keys.extend(
            ["rack", "unfinished", "dried", "dried-by", "done", "dryers"].map(|k| self.key(k)),
        );
        let unfinished = self.key("unfinished");
        self.link.run("clearing the rack", |c| {
            redis::pipe()
                .atomic()
                .del(keys)
                .ignore()
                .set(unfinished, 0)
                .ignore()
                .exec(c)
        })
    }
}

// ANCHOR: task_done
/// Marks a dish done, atomically, only if this dryer holds it; the last
/// one leaves a single wake-up token for `join`. -1: the count is gone.
const TASK_DONE: &str = r"
if redis.call('EXISTS', KEYS[3]) == 0 then return -1 end
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('HINCRBY', KEYS[5], ARGV[2], 1)
if redis.call('DECR', KEYS[3]) <= 0 then
  redis.call('DEL', KEYS[4])
  redis.call('RPUSH', KEYS[4], 'done')
end
return 1
";
// ANCHOR_END: task_done

/// How long [`Dryer::sign_in`] gives the connection of an earlier dryer of
/// the same name to close: a dryer killed a moment ago still has an open
/// connection until the server has noticed its socket closed.
pub const SIGN_IN_GRACE: Duration = Duration::from_secs(1);

/// How many times [`Dryer::sign_in`] tries when its name's record keeps
/// changing under it (another dryer signing in, a reaper clearing it).
const SIGN_IN_TRIES: usize = 5;

/// A dryer at a rack on Redis: it takes dishes into its own `drying` list
/// and marks them done. (Python: the consumer side of a `JoinableQueue`.)
pub struct Dryer {
    link: Link,
    rack: String,
    name: String,
    /// This dryer's connection, as recorded in `RACK:dryers`.
    record: String,
}

impl Dryer {
    /// Connects to the rack `rack` at `url` as the dryer `name`, with the
    /// time limit [`SERVER_TIMEOUT`]; see [`Dryer::sign_in_waiting`].
    pub fn sign_in(url: &str, rack: &str, name: &str) -> Result<(Dryer, Vec<String>), RackError> {
        Dryer::sign_in_waiting(url, rack, name, SERVER_TIMEOUT)
    }

    // ANCHOR: sign_in
    /// Connects to the rack `rack` at `url` as the dryer `name` (waiting
    /// at most `wait` to connect and for each reply), records its
    /// connection under that name (that is how [`Rack::reap`] knows it is
    /// alive), and puts back any dish an earlier dryer of that name left
    /// in its hands. Returns the dryer and the dishes put back.
    ///
    /// Refused ([`RackError::NameTaken`]) while a dryer of that name is
    /// still connected: two dryers sharing one `drying` list could each
    /// put back or mark done the other's dishes. The check reads the name's
    /// record first and lists the open connections second, for the reason
    /// given at [`Rack::reap_pausing`]; the record is then replaced only
    /// if it is still the one read.
    pub fn sign_in_waiting(
        url: &str,
        rack: &str,
        name: &str,
        wait: Duration,
    ) -> Result<(Dryer, Vec<String>), RackError> {
        let (rack, name) = (check_name(rack)?, check_name(name)?);
        let mut link = Link::open(url, wait)?;
        let record = link.record()?;
        let label = format!("dryer:{rack}:{name}");
        let _: () = link.run("signing in", |c| c.client_setname(label))?;
        let records = format!("{rack}:dryers");
        for _ in 0..SIGN_IN_TRIES {
            let seen: Option<String> = link.run("signing in", |c| c.hget(&records, &name))?;
            let seen = seen.unwrap_or_default();
            if !seen.is_empty() && !link.closes_within(&seen, SIGN_IN_GRACE)? {
                return Err(RackError::NameTaken { dryer: name });
            }
            if let Some(put_back) = hand_back(&mut link, &rack, &name, &seen, &record)? {
                let dryer = Dryer {
                    link,
                    rack,
                    name,
                    record,
                };
                return Ok((dryer, put_back));
            }
        }
        Err(RackError::NameTaken { dryer: name })
    }
    // ANCHOR_END: sign_in

    /// Signs out: puts back any dish still in this dryer's hands and
    /// deletes its record. Returns the dishes put back.
    pub fn sign_out(mut self) -> Result<Vec<String>, RackError> {
        Ok(
            hand_back(&mut self.link, &self.rack, &self.name, &self.record, "")?
                .unwrap_or_default(),
        )
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
        if timeout.is_zero() {
            return self.link.run("taking a dish", |c| {
                c.lmove(from, to, Direction::Left, Direction::Right)
            });
        }
        // Wait in short turns, so that a server that freezes meanwhile is
        // noticed within one turn and the reply time limit.
        let deadline = Instant::now() + timeout;
        while let Some(wait) = deadline.checked_duration_since(Instant::now()) {
            let turn = wait.min(BLOCK_CHUNK);
            let dish: Option<String> = self.link.blocking(turn, "taking a dish", |c| {
                c.blmove(
                    &from,
                    &to,
                    Direction::Left,
                    Direction::Right,
                    redis_seconds(turn),
                )
            })?;
            if dish.is_some() {
                return Ok(dish);
            }
        }
        Ok(None)
    }
    // ANCHOR_END: get

    /// Says `dish`, taken with [`Dryer::get`], is dry: it leaves this
    /// dryer's hands, goes into the dried log, the dryer's tally goes up and
    /// the unfinished count down, all at once. (Python: `rack.task_done()`.)
    pub fn task_done(&mut self, dish: &str) -> Result<(), RackError> {
        let keys = [
            self.drying_key(),
            format!("{}:dried", self.rack),
            format!("{}:unfinished", self.rack),
            format!("{}:done", self.rack),
            format!("{}:dried-by", self.rack),
        ];
        let name = self.name.clone();
        let done: i64 = self.link.run("marking a dish done", |c| {
            redis::cmd("EVAL")
                .arg(TASK_DONE)
                .arg(keys.len())
                .arg(&keys)
                .arg(dish)
                .arg(name)
                .query(c)
        })?;
        match done {
            1 => Ok(()),
            -1 => Err(RackError::CountGone {
                rack: self.rack.clone(),
            }),
            _ => Err(RackError::NotHolding {
                dryer: self.name.clone(),
                dish: dish.to_string(),
            }),
        }
    }
}
