//! Honest, with std::thread::scope.
pub fn dry_all<D>(dishes: &[&str], dryers: Vec<D>) -> Vec<Vec<String>>
where
    D: FnMut(&str) + Send + 'static,
{
    let (rack, taken) = crossbeam_channel::unbounded::<String>();
    std::thread::scope(|s| {
        let handles: Vec<_> = dryers
            .into_iter()
            .map(|mut dry| {
                let taken = taken.clone();
                s.spawn(move || {
                    let mut dried = Vec::new();
                    for dish in taken {
                        dry(&dish);
                        dried.push(dish);
                    }
                    dried
                })
            })
            .collect();
        for dish in dishes {
            rack.send(dish.to_string()).unwrap();
        }
        drop(rack);
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}
