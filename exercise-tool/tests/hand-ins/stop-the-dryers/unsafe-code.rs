//! Unsafe code: forbidden in hand-ins.
pub fn dry_all<D>(_dishes: &[&str], _dryers: Vec<D>) -> Vec<Vec<String>>
where
    D: FnMut(&str) + Send + 'static,
{
    let p = std::ptr::null::<u8>();
    let _ = unsafe { p.add(0) };
    todo!()
}
