//! Exercise: a dryer that cannot lose a dish (chapter "Many kitchens") — reference solution.

use washup_kitchens::redis::{Commands as _, Connection, Direction, RedisResult};

/// The list where dryer `dryer` keeps the dish it holds.
pub fn holding(rack: &str, dryer: &str) -> String {
    format!("{rack}:holding:{dryer}")
}

/// Moves the oldest dish from the rack to the dryer's holding list, in one
/// atomic step; `None` if the rack is empty.
pub fn take(con: &mut Connection, rack: &str, dryer: &str) -> RedisResult<Option<String>> {
    con.lmove(
        rack,
        holding(rack, dryer),
        Direction::Left,
        Direction::Right,
    )
}

/// The dryer is done with `dish`: remove it from its holding list.
pub fn done(con: &mut Connection, rack: &str, dryer: &str, dish: &str) -> RedisResult<()> {
    let _: i64 = con.lrem(holding(rack, dryer), 1, dish)?;
    Ok(())
}

/// The dryer is gone: put every dish it held back at the front of the rack.
pub fn recover(con: &mut Connection, rack: &str, dryer: &str) -> RedisResult<usize> {
    let mut count = 0;
    // Newest first, each pushed to the front: the oldest ends up first.
    while con
        .lmove::<_, _, Option<String>>(
            holding(rack, dryer),
            rack,
            Direction::Right,
            Direction::Left,
        )?
        .is_some()
    {
        count += 1;
    }
    Ok(count)
}
