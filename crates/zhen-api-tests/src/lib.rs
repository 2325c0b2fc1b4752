//! Nothing here: the tests in `tests/` use zhen as a dependency, through its public API
//! only, the way an embedding program does. A separate package makes sure of that (no
//! `pub(crate)` item is reachable from here).
