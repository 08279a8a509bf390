//! Exercise: a dryer that cannot lose a dish (chapter "Many kitchens").

use washup_kitchens::redis::{Commands as _, Connection, RedisResult};

/// The list where dryer `dryer` keeps the dish it holds.
pub fn holding(rack: &str, dryer: &str) -> String {
    format!("{rack}:holding:{dryer}")
}

/// Moves the oldest dish from the rack to the dryer's holding list, in one
/// atomic step; `None` if the rack is empty.
pub fn take(con: &mut Connection, rack: &str, dryer: &str) -> RedisResult<Option<String>> {
    let _ = (con, rack, dryer);
    todo!("LMOVE from the rack to the holding list")
}

/// The dryer is done with `dish`: remove it from its holding list.
pub fn done(con: &mut Connection, rack: &str, dryer: &str, dish: &str) -> RedisResult<()> {
    let _ = (con, rack, dryer, dish);
    todo!("LREM the dish from the holding list")
}

/// The dryer is gone: put every dish it held back at the front of the rack.
pub fn recover(con: &mut Connection, rack: &str, dryer: &str) -> RedisResult<usize> {
    let _ = (con.get::<_, Option<String>>("unused"), rack, dryer);
    todo!("move the holding list back onto the rack")
}
